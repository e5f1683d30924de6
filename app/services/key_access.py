"""Looking up one key of the caller's organization, locking it for a change, and recording the
change in the audit log: what every service that changes a key (keys, limits, IAM rules) shares,
so that none of them imports another."""
from __future__ import annotations

from app import models
from app.domain import alerts, audit as audit_domain
from app.domain.audit import AuditAction
from app.domain.ids import encode
from app.services.audit import actor_of
from app.services.callers import Tenant
from app.services.errors import Problems, not_found
from app.store import api_keys, audit


async def get_key(tenant: Tenant, key_id: int | None) -> models.ApiKey | None:
    if key_id is None:
        return None
    return await models.ApiKey.get_or_none(id=key_id, org_id=tenant.org_id)


async def get_key_or_refuse(tenant: Tenant, key_id: int | None) -> models.ApiKey:
    key = await get_key(tenant, key_id)
    if key is None:
        raise not_found("id", "API key")
    return key


async def lock_key(tx, tenant: Tenant, key_id: int) -> models.ApiKey:
    """Lock the key's row until ``tx`` ends (a row lock on PostgreSQL, the write lock on SQLite: a
    write first, so SQLite never has to upgrade a read) and read it under that lock, so that the
    audit's "before" is exactly what this change replaces, however many writers there are."""
    if not await api_keys.lock_key(tx, key_id, tenant.org_id):
        raise not_found("id", "API key")  # deleted meanwhile
    return await models.ApiKey.filter(id=key_id).using_db(tx).first()


def audited_fields(key: models.ApiKey, rules: list[tuple[str, list[str]]] | None = None) -> audit_domain.Fields:
    """What the audit log shows of a key (``rules``: (type, values) pairs; None leaves them out)."""
    fields = audit_domain.key_fields(
        key.name, key.enabled, key.expires_at, key.all_time_limit, key.recurring_amount, key.recurring_value,
        key.recurring_unit, rules or [], key.masked_key,
    )
    if rules is None:
        del fields["iamRules"]
    thresholds = alerts.thresholds_from_text(key.alert_thresholds)
    # like iamRules: null while the key has the default
    fields["alertThresholds"] = None if thresholds == alerts.DEFAULT_THRESHOLDS else alerts.thresholds_to_text(thresholds)
    return fields


async def record_key_event(tx, tenant: Tenant, action: AuditAction, key: models.ApiKey, before, after, now_us: int) -> None:
    """The audit event of a change to one key, in the change's own transaction."""
    await audit.record(tx, org_id=tenant.org_id, actor=actor_of(tenant), action=action,
                       target_id=encode("ApiKey", key.id), project_id=key.project_id,
                       changes=audit_domain.diff(before, after), now_us=now_us)


def parse_thresholds(raw: list[int], problems: Problems) -> tuple[int, ...] | None:
    try:
        return alerts.validate_thresholds(list(raw))
    except alerts.ThresholdError as exc:
        problems.validation("alertThresholds", f"alertThresholds {exc}")
        return None
