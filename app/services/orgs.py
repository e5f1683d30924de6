"""Organizations: created and re-planned by the operator CLI, read by their tenants."""
from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app import models
from app.domain import names
from app.domain.quota import Plan, key_limit
from app.domain.timeconv import to_micros
from app.services.errors import ErrorCode, refuse
from app.store import changes

MAX_KEY_LIMIT = 1_000_000


def parse_plan(raw: str) -> Plan:
    try:
        return Plan(raw.strip().upper())
    except (ValueError, AttributeError):
        raise refuse(ErrorCode.VALIDATION, "plan", f"unknown plan {raw!r}: use free, pro or enterprise") from None


def check_key_limit(raw: int | None) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= MAX_KEY_LIMIT:
        raise refuse(ErrorCode.VALIDATION, "keyLimit", f"key limit must be an integer from 0 to {MAX_KEY_LIMIT}")
    return raw


def clean_org_name(raw: str) -> str:
    try:
        return names.clean_name(raw)
    except names.NameError_ as exc:
        raise refuse(ErrorCode.VALIDATION, "name", f"organization name {exc}") from None


async def create_org(clock, name: str, plan: str = "free", key_limit_override: int | None = None) -> models.Organization:
    name = clean_org_name(name)
    parsed = parse_plan(plan)
    override = check_key_limit(key_limit_override)
    if await models.Organization.filter(name=name).exists():
        raise refuse(ErrorCode.VALIDATION, "name", f"organization {name!r} already exists")
    try:
        return await models.Organization.create(
            name=name, plan=parsed.value, key_limit_override=override, created_at=to_micros(clock.now())
        )
    except IntegrityError:
        raise refuse(ErrorCode.VALIDATION, "name", f"organization {name!r} already exists") from None


async def find_org(name: str) -> models.Organization:
    org = await models.Organization.get_or_none(name=name.strip())
    if org is None:
        raise refuse(ErrorCode.NOT_FOUND, "org", f"organization {name!r} not found")
    return org


async def set_plan(clock, name: str, plan: str, key_limit_override: int | None = None) -> models.Organization:
    """Change the plan; the override is replaced too (left out: the plan's own default applies)."""
    parsed = parse_plan(plan)
    override = check_key_limit(key_limit_override)
    org = await find_org(name)
    async with in_transaction() as tx:
        await models.Organization.filter(id=org.id).using_db(tx).update(plan=parsed.value, key_limit_override=override)
        await changes.emit(tx, changes.ORG, org.id, to_micros(clock.now()))
    changes.applied_locally(changes.ORG, org.id)
    org.plan, org.key_limit_override = parsed.value, override
    return org


async def get_org(org_id: int) -> models.Organization:
    return await models.Organization.get(id=org_id)


def org_key_limit(org: models.Organization) -> int | None:
    return key_limit(org.plan, org.key_limit_override)


async def is_empty() -> bool:
    return not await models.Organization.all().exists()
