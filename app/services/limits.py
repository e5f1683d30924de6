"""Spend limits on keys: parsing the inputs, and the update that may start a new window."""
from __future__ import annotations

from dataclasses import dataclass


from app import models
from app.domain import alerts, money, windows
from app.domain.timeconv import to_micros
from app.services import key_access, periods
from app.services.callers import Tenant
from app.domain.audit import AuditAction
from app.services.errors import Problems
from app.store import changes, usage_windows

UNCHANGED = object()  # an input field that was left out (as opposed to an explicit null)


@dataclass(frozen=True)
class RecurringSpec:
    amount: int  # nanos
    window: windows.Window


def parse_amount(raw, field: str, problems: Problems) -> int | None:
    try:
        return money.parse_limit(raw)
    except money.MoneyError as exc:
        problems.validation(field, f"{field} {exc}")
        return None


def parse_recurring(amount, value, unit, field: str, problems: Problems) -> RecurringSpec | None:
    nanos = parse_amount(amount, f"{field}.amount", problems)
    try:
        window = windows.validate_window(value, unit)
    except windows.WindowError as exc:
        problems.validation(f"{field}.window", str(exc))
        return None
    return None if nanos is None else RecurringSpec(nanos, window)


def recurring_of(key: models.ApiKey) -> RecurringSpec | None:
    window = periods.window_of(key)
    return None if window is None else RecurringSpec(key.recurring_amount, window)


def recurring_columns(spec: RecurringSpec | None, anchor_us: int | None) -> dict:
    if spec is None:
        return {"recurring_amount": None, "recurring_value": None, "recurring_unit": None, "recurring_anchor": None}
    return {
        "recurring_amount": spec.amount,
        "recurring_value": spec.window.value,
        "recurring_unit": spec.window.unit.value,
        "recurring_anchor": anchor_us,
    }


async def update_limits(tenant: Tenant, clock, key_id: int | None, all_time=UNCHANGED, recurring=UNCHANGED,
                        thresholds=UNCHANGED) -> models.ApiKey:
    """``all_time``: raw amount, None (remove) or UNCHANGED. ``recurring``: (amount, value, unit), None or UNCHANGED.
    ``thresholds``: a list of percentages, None (back to the default) or UNCHANGED.

    A recurring limit that differs from the current one starts a new window now, with zero
    usage; the same one changes nothing.
    """
    problems = Problems()
    new_all_time = UNCHANGED
    if all_time is not UNCHANGED:
        new_all_time = None if all_time is None else parse_amount(all_time, "allTimeLimit", problems)
    new_recurring = UNCHANGED
    if recurring is not UNCHANGED:
        new_recurring = None if recurring is None else parse_recurring(*recurring, "recurringLimit", problems)
    new_thresholds = UNCHANGED
    if thresholds is not UNCHANGED:
        new_thresholds = alerts.DEFAULT_THRESHOLDS if thresholds is None else key_access.parse_thresholds(thresholds, problems)
    problems.raise_if_any()
    key = await key_access.get_key_or_refuse(tenant, key_id)

    now_us = to_micros(clock.now())
    updates: dict = {}
    if new_all_time is not UNCHANGED and new_all_time != key.all_time_limit:
        updates["all_time_limit"] = new_all_time
    if new_recurring is not UNCHANGED and new_recurring != recurring_of(key):
        updates.update(recurring_columns(new_recurring, now_us))
    if new_thresholds is not UNCHANGED and new_thresholds != alerts.thresholds_from_text(key.alert_thresholds):
        updates["alert_thresholds"] = alerts.thresholds_to_text(new_thresholds)
    if not updates:
        return key
    async with changes.write() as tx:
        key = await key_access.lock_key(tx, tenant, key.id)
        before = key_access.audited_fields(key)
        for column, value in updates.items():
            setattr(key, column, value)
        after = key_access.audited_fields(key)
        await models.ApiKey.filter(id=key.id).using_db(tx).update(**updates)
        if "recurring_anchor" in updates and new_recurring is not None:
            # a new window starts now with zero usage, even if an old one started at this instant
            await usage_windows.drop_from(tx, key.id, now_us)
        await changes.emit(tx, changes.KEY, key.id, now_us)
        if after != before:  # a concurrent change may have set the same limits already
            await key_access.record_key_event(tx, tenant, AuditAction.KEY_LIMITS_UPDATED, key, before, after, now_us)
    return await models.ApiKey.get(id=key.id)
