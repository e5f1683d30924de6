"""Organizations: created and re-planned by the operator CLI, read by their tenants."""
from __future__ import annotations

from tortoise.exceptions import IntegrityError

from app import models
from app.domain import names
from app.domain.audit import OPERATOR, Actor, AuditAction, diff
from app.domain.ids import encode
from app.domain.quota import Plan, key_limit
from app.domain.timeconv import to_micros
from app.services.errors import ErrorCode, refuse
from app.store import audit, changes

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


def _plan_fields(plan: str, override: int | None) -> dict:
    return {"plan": plan, "keyLimit": None if override is None else str(override)}


async def _record_plan(tx, org_id: int, actor: Actor, before: dict | None, after: dict, now_us: int) -> None:
    await audit.record(tx, org_id=org_id, actor=actor, action=AuditAction.PLAN_CHANGED,
                       target_id=encode("Organization", org_id), project_id=None, changes=diff(before, after),
                       now_us=now_us)


async def create_org(clock, name: str, plan: str = "free", key_limit_override: int | None = None,
                     actor: Actor = OPERATOR) -> models.Organization:
    """The new organization's first plan is its first audit event (PLAN_CHANGED from nothing)."""
    name = clean_org_name(name)
    parsed = parse_plan(plan)
    override = check_key_limit(key_limit_override)
    if await models.Organization.filter(name=name).exists():
        raise refuse(ErrorCode.VALIDATION, "name", f"organization {name!r} already exists")
    now_us = to_micros(clock.now())
    try:
        async with changes.write() as tx:
            org = await models.Organization.create(
                using_db=tx, name=name, plan=parsed.value, key_limit_override=override, created_at=now_us
            )
            await _record_plan(tx, org.id, actor, None, _plan_fields(parsed.value, override), now_us)
        return org
    except IntegrityError:
        raise refuse(ErrorCode.VALIDATION, "name", f"organization {name!r} already exists") from None


async def find_org(name: str) -> models.Organization:
    org = await models.Organization.get_or_none(name=name.strip())
    if org is None:
        raise refuse(ErrorCode.NOT_FOUND, "org", f"organization {name!r} not found")
    return org


async def set_plan(clock, name: str, plan: str, key_limit_override: int | None = None,
                   actor: Actor = OPERATOR) -> models.Organization:
    """Change the plan; the override is replaced too (left out: the plan's own default applies)."""
    parsed = parse_plan(plan)
    override = check_key_limit(key_limit_override)
    org = await find_org(name)
    before = _plan_fields(org.plan, org.key_limit_override)
    after = _plan_fields(parsed.value, override)
    now_us = to_micros(clock.now())
    async with changes.write() as tx:
        await models.Organization.filter(id=org.id).using_db(tx).update(plan=parsed.value, key_limit_override=override)
        await changes.emit(tx, changes.ORG, org.id, now_us)
        if after != before:
            await _record_plan(tx, org.id, actor, before, after, now_us)
    org.plan, org.key_limit_override = parsed.value, override
    return org


async def get_org(org_id: int) -> models.Organization:
    return await models.Organization.get(id=org_id)


def org_key_limit(org: models.Organization) -> int | None:
    return key_limit(org.plan, org.key_limit_override)


async def is_empty() -> bool:
    return not await models.Organization.all().exists()
