"""The audit log's vocabulary, and the one diff that turns a change into before/after pairs.

Values are strings as clients see them (amounts as decimal strings, windows as "1 DAY", rules
as their JSON, times as ISO 8601); a field that did not change is not listed. Nothing here
ever sees a secret or a hash: callers describe objects only by their public fields.
"""
from __future__ import annotations

import enum
import json
from dataclasses import dataclass

from app.domain.money import format_nanos
from app.domain.timeconv import from_micros


class AuditAction(str, enum.Enum):
    PROJECT_CREATED = "PROJECT_CREATED"
    KEY_CREATED = "KEY_CREATED"
    KEY_RENAMED = "KEY_RENAMED"
    KEY_LIMITS_UPDATED = "KEY_LIMITS_UPDATED"
    KEY_ENABLED = "KEY_ENABLED"
    KEY_DISABLED = "KEY_DISABLED"
    KEY_IAM_RULES_UPDATED = "KEY_IAM_RULES_UPDATED"
    KEY_ROLLED = "KEY_ROLLED"
    KEY_DELETED = "KEY_DELETED"
    TOKEN_CREATED = "TOKEN_CREATED"
    TOKEN_REVOKED = "TOKEN_REVOKED"
    PLAN_CHANGED = "PLAN_CHANGED"
    WEBHOOK_CREATED = "WEBHOOK_CREATED"
    WEBHOOK_UPDATED = "WEBHOOK_UPDATED"
    WEBHOOK_DELETED = "WEBHOOK_DELETED"


class ActorKind(str, enum.Enum):
    MANAGEMENT_TOKEN = "MANAGEMENT_TOKEN"
    OPERATOR = "OPERATOR"
    SYSTEM = "SYSTEM"


@dataclass(frozen=True)
class Actor:
    """Who made a change: a management token (its id and label at the time), the operator's CLI, or keyplane."""

    kind: ActorKind
    token_id: int | None = None
    label: str | None = None


OPERATOR = Actor(ActorKind.OPERATOR)
SYSTEM = Actor(ActorKind.SYSTEM)


@dataclass(frozen=True)
class Change:
    field: str
    before: str | None
    after: str | None


Fields = dict[str, str | None]


def diff(before: Fields | None, after: Fields | None) -> list[Change]:
    """Before/after of every field whose value differs; None for the side of a created or deleted object."""
    before, after = before or {}, after or {}
    names = list(before) + [name for name in after if name not in before]
    return [Change(name, before.get(name), after.get(name)) for name in names if before.get(name) != after.get(name)]


def time_text(micros: int | None) -> str | None:
    return None if micros is None else from_micros(micros).isoformat().replace("+00:00", "Z")


def money_text(nanos: int | None) -> str | None:
    return None if nanos is None else format_nanos(nanos)


def key_fields(name: str, enabled: bool, expires_at: int | None, all_time_limit: int | None,
               recurring_amount: int | None, recurring_value: int | None, recurring_unit: str | None,
               rules: list[tuple[str, list[str]]], masked_key: str) -> Fields:
    """The audited fields of a key: what a dashboard shows, never its secret or hash."""
    return {
        "name": name,
        "maskedKey": masked_key,
        "enabled": "true" if enabled else "false",
        "expiresAt": time_text(expires_at),
        "allTimeLimit": money_text(all_time_limit),
        "recurringLimit": money_text(recurring_amount),
        "recurringWindow": None if recurring_amount is None else f"{recurring_value} {recurring_unit}",
        "iamRules": json.dumps([{"type": t, "values": list(v)} for t, v in rules]) if rules else None,
    }


def changes_to_json(changes: list[Change]) -> str:
    return json.dumps([{"field": c.field, "before": c.before, "after": c.after} for c in changes])


def changes_from_json(text: str) -> list[Change]:
    return [Change(item["field"], item["before"], item["after"]) for item in json.loads(text)]
