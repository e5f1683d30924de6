"""API keys: create (within the plan quota), read, rename, enable/disable, roll, delete; each change with its audit event."""
from __future__ import annotations

import enum
from dataclasses import dataclass

from tortoise.expressions import Q

from app import models
from datetime import timedelta

from app.domain import alerts, audit as audit_domain, names, secrets, ttl
from app.domain.alerts import EventType
from app.domain.audit import AuditAction
from app.domain.cursors import encode_cursor
from app.domain.ids import encode
from app.domain.status import KeyStatus, key_status
from app.domain.timeconv import to_micros
from app.services import iam, orgs
from app.services.catalog import CatalogCache
from app.services.key_access import audited_fields, get_key, get_key_or_refuse, lock_key, record_key_event
from app.services import key_access
from app.services.callers import Tenant
from app.services.errors import ErrorCode, Problems, not_found, refuse
from app.services.limits import RecurringSpec, parse_amount, parse_recurring, recurring_columns
from app.services.paging import Page, after_position, page_size
from app.store import api_keys, changes, outbox, projects
from app.store.iam_rules import replace_rules

MAX_GRACE = timedelta(days=30)


class KeyFilter(str, enum.Enum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"
    ALL = "ALL"


@dataclass(frozen=True)
class CreatedKey:
    key: models.ApiKey
    secret: str


def status_of(key: models.ApiKey, now_us: int) -> KeyStatus:
    return key_status(key.enabled, key.expires_at, now_us)


def key_event_data(key: models.ApiKey) -> dict:
    """The data of a key.rolled or key.deleted webhook event."""
    return {"keyId": encode("ApiKey", key.id), "projectId": encode("Project", key.project_id), "name": key.name}


def previous_key_valid_until(key: models.ApiKey, now_us: int) -> int | None:
    """When the previous secret of a rolled key stops working; None when it already has (or there is none)."""
    until = key.previous_key_expires_at
    return until if key.previous_key_hash is not None and until is not None and until > now_us else None


def _clean_name(raw: str, problems: Problems) -> str | None:
    try:
        return names.clean_name(raw)
    except names.NameError_ as exc:
        problems.validation("name", f"name {exc}")
        return None


def _expiry(clock, ttl_input, problems: Problems) -> int | None:
    """``ttl_input`` is (value, unit); returns the expiry in microseconds."""
    try:
        return to_micros(ttl.expires_at(clock.now(), *ttl_input))
    except ttl.TtlError as exc:
        problems.validation("ttl", f"ttl {exc}")
        return None


async def create_key(
    tenant: Tenant,
    clock,
    catalogs: CatalogCache,
    project_id: int | None,
    name: str,
    ttl_input: tuple | None = None,
    all_time_limit=None,
    recurring_limit: tuple | None = None,
    iam_rules: list[tuple[str, list[str]]] | None = None,
    alert_thresholds: list[int] | None = None,
) -> CreatedKey:
    """Validate everything first (IAM rules against ``catalogs``' current catalog), then take a quota
    slot and insert the key in one transaction."""
    problems = Problems()
    clean = _clean_name(name, problems)
    expires_at = _expiry(clock, ttl_input, problems) if ttl_input is not None else None
    all_time = parse_amount(all_time_limit, "allTimeLimit", problems) if all_time_limit is not None else None
    recurring: RecurringSpec | None = None
    if recurring_limit is not None:
        recurring = parse_recurring(*recurring_limit, "recurringLimit", problems)
    rules = iam.validate(iam_rules, "iamRules", problems, await catalogs.current()) if iam_rules else []
    thresholds = alerts.DEFAULT_THRESHOLDS if alert_thresholds is None else key_access.parse_thresholds(alert_thresholds, problems)
    problems.raise_if_any()

    project = await models.Project.get_or_none(id=project_id, org_id=tenant.org_id) if project_id else None
    if project is None:
        raise not_found("projectId", "project")
    limit = orgs.org_key_limit(await orgs.get_org(tenant.org_id))

    now_us = to_micros(clock.now())
    secret = secrets.generate(secrets.KEY_PREFIX)
    async with changes.write() as tx:
        # the quota check and the slot are one statement: concurrent creates cannot both pass
        if not await projects.take_key_slot(tx, project.id, limit):
            raise refuse(
                ErrorCode.KEY_LIMIT_REACHED,
                "projectId",
                f"this project already has {limit} keys, the limit of its plan: delete unused keys or upgrade",
            )
        key = await models.ApiKey.create(
            using_db=tx,
            project_id=project.id,
            org_id=tenant.org_id,
            name=clean,
            key_hash=secrets.hash_secret(secret),
            masked_key=secrets.mask_key(secret),
            enabled=True,
            expires_at=expires_at,
            created_at=now_us,
            all_time_limit=all_time,
            usage=0,
            alert_thresholds=alerts.thresholds_to_text(thresholds),
            **recurring_columns(recurring, now_us),
        )
        await replace_rules(tx, key.id, rules)
        await changes.emit(tx, changes.KEY, key.id, now_us)
        await record_key_event(tx, tenant, AuditAction.KEY_CREATED, key, None,
                               audited_fields(key, iam.as_pairs(rules)), now_us)
    return CreatedKey(key, secret)


async def rename_key(tenant: Tenant, clock, key_id: int | None, name: str) -> models.ApiKey:
    problems = Problems()
    clean = _clean_name(name, problems)
    problems.raise_if_any()
    key = await get_key_or_refuse(tenant, key_id)
    if key.name == clean:
        return key
    now_us = to_micros(clock.now())
    async with changes.write() as tx:
        key = await lock_key(tx, tenant, key.id)
        if key.name != clean:
            before = audited_fields(key)
            await models.ApiKey.filter(id=key.id).using_db(tx).update(name=clean)
            key.name = clean
            await record_key_event(tx, tenant, AuditAction.KEY_RENAMED, key, before, audited_fields(key), now_us)
    return key


async def set_enabled(tenant: Tenant, clock, key_id: int | None, enabled: bool, ttl_input: tuple | None) -> models.ApiKey:
    """Disabling always works; enabling an EXPIRED key needs a fresh TTL; a TTL on enable sets a new expiry."""
    problems = Problems()
    expires_at = _expiry(clock, ttl_input, problems) if ttl_input is not None else None
    if ttl_input is not None and not enabled:
        problems.validation("ttl", "ttl can only be given when enabling a key")
    problems.raise_if_any()
    key = await get_key_or_refuse(tenant, key_id)
    now_us = to_micros(clock.now())
    if enabled and expires_at is None and status_of(key, now_us) is KeyStatus.EXPIRED:
        raise refuse(ErrorCode.TTL_REQUIRED, "ttl", "this key has expired: give a new ttl to enable it")
    updates: dict = {"enabled": enabled}
    if expires_at is not None:
        updates["expires_at"] = expires_at
    async with changes.write() as tx:
        key = await lock_key(tx, tenant, key.id)
        before = audited_fields(key)
        await models.ApiKey.filter(id=key.id).using_db(tx).update(**updates)
        await changes.emit(tx, changes.KEY, key.id, now_us)
        key.enabled = enabled
        key.expires_at = expires_at if expires_at is not None else key.expires_at
        after = audited_fields(key)
        if after != before:  # enabling an enabled key changes nothing worth an event
            action = AuditAction.KEY_ENABLED if enabled else AuditAction.KEY_DISABLED
            await record_key_event(tx, tenant, action, key, before, after, now_us)
    return await models.ApiKey.get(id=key.id)


async def delete_key(tenant: Tenant, clock, key_id: int | None) -> int:
    """Permanent: the key, its rules, windows, holds and usage records go; its quota slot is freed."""
    key = await get_key_or_refuse(tenant, key_id)
    now_us = to_micros(clock.now())
    async with changes.write() as tx:
        key = await lock_key(tx, tenant, key.id)
        before = audited_fields(key, await iam.pairs_of_key(key.id, tx))
        if not await api_keys.delete_key(tx, key.id, tenant.org_id):  # deleted concurrently
            raise not_found("id", "API key")
        await projects.free_key_slot(tx, key.project_id)
        await changes.emit(tx, changes.KEY, key.id, now_us)
        await record_key_event(tx, tenant, AuditAction.KEY_DELETED, key, before, None, now_us)
        deliveries = await outbox.enqueue(tx, key.project_id, EventType.KEY_DELETED, key_event_data(key), now_us)
        if deliveries:
            changes.after_commit(tx, outbox.wake)
    return key.id


def page_args(first: int | None, after: str | None) -> tuple[int, tuple[int, ...] | None]:
    """The page size and the position after the cursor, or a VALIDATION refusal (no I/O: the
    GraphQL layer also runs this before any resolver, see schema/arguments.py)."""
    return page_size(first), after_position("k", after, 1)
def _grace(grace_input: tuple | None, problems: Problems) -> timedelta | None:
    """``grace_input`` is (value, unit) like a TTL, at most 30 days; None: the old secret stops at once."""
    if grace_input is None:
        return None
    try:
        length = ttl.ttl_length(*grace_input)
    except ttl.TtlError as exc:
        problems.validation("gracePeriod", f"gracePeriod {exc}".replace("must be at most 3650 days", "must be at most 30 days"))
        return None
    if length > MAX_GRACE:
        problems.validation("gracePeriod", "gracePeriod must be at most 30 days")
        return None
    return length


async def roll_key(tenant: Tenant, clock, key_id: int | None, grace_input: tuple | None) -> CreatedKey:
    """A new secret for the same key (limits, usage, windows, rules and status stay). The previous
    secret keeps working until now + grace; rolling again ends any earlier grace at once, so a key
    never has more than two working secrets. Status is not touched: EXPIRED or DISABLED keys may roll."""
    problems = Problems()
    grace = _grace(grace_input, problems)
    problems.raise_if_any()
    key = await get_key_or_refuse(tenant, key_id)
    now_us = to_micros(clock.now())
    secret = secrets.generate(secrets.KEY_PREFIX)
    previous_until = None if grace is None else now_us + grace // timedelta(microseconds=1)
    async with changes.write() as tx:
        key = await lock_key(tx, tenant, key.id)
        before = audited_fields(key)
        before["previousKeyExpiresAt"] = audit_domain.time_text(previous_key_valid_until(key, now_us))
        # the current hash becomes the previous one (during a grace period) in the same statement
        rolled = await api_keys.roll_secret(tx, key.id, tenant.org_id, secrets.hash_secret(secret), secrets.mask_key(secret),
                                            keep_previous=grace is not None, previous_until=previous_until)
        if not rolled:  # deleted meanwhile
            raise not_found("id", "API key")
        await changes.emit(tx, changes.KEY, key.id, now_us)
        key.masked_key = secrets.mask_key(secret)
        after = audited_fields(key)
        after["previousKeyExpiresAt"] = audit_domain.time_text(previous_until)
        await record_key_event(tx, tenant, AuditAction.KEY_ROLLED, key, before, after, now_us)
        data = {**key_event_data(key), "previousKeyExpiresAt": audit_domain.time_text(previous_until)}
        deliveries = await outbox.enqueue(tx, key.project_id, EventType.KEY_ROLLED, data, now_us)
        if deliveries:
            changes.after_commit(tx, outbox.wake)
    return CreatedKey(await models.ApiKey.get(id=key.id), secret)


async def list_keys(
    project: models.Project, clock, key_filter: KeyFilter, first: int | None, after: str | None
) -> Page[models.ApiKey]:
    """Newest first; ACTIVE and INACTIVE are decided against the clock, in SQL."""
    size, position = page_args(first, after)
    query = _status_filtered(project.id, key_filter, to_micros(clock.now()))
    if position is not None:
        query = query.filter(id__lt=position[0])
    rows = await query.order_by("-id").limit(size + 1)
    items = rows[:size]
    return Page(
        items=items,
        cursors=[encode_cursor("k", row.id) for row in items],
        has_next=len(rows) > size,
        has_previous=position is not None,
    )


def _status_filtered(project_id: int, key_filter: KeyFilter, now_us: int):
    active = Q(enabled=True) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now_us))
    query = models.ApiKey.filter(project_id=project_id)
    if key_filter is KeyFilter.ACTIVE:
        return query.filter(active)
    if key_filter is KeyFilter.INACTIVE:
        return query.filter(~active)
    return query


async def count_keys(project: models.Project, clock, key_filter: KeyFilter) -> int:
    """How many keys the filter selects in the project (every page of the connection)."""
    return await _status_filtered(project.id, key_filter, to_micros(clock.now())).count()
