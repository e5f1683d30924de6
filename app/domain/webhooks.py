"""Webhook deliveries: the event body, the retry schedule, the event subscriptions (pure, no I/O).

Bodies follow the Standard Webhooks shape ``{"type", "timestamp", "data"}``; amounts are
decimal strings, times ISO 8601 UTC. The schedule is the contract's: about 5 s, 30 s, 2 min,
10 min, 1 h after the first failures, then every 6 h, until 3 days after the event.
"""
from __future__ import annotations

import json

from app.domain.alerts import Alert, EventType, LimitKind
from app.domain.money import format_nanos
from app.domain.timeconv import from_micros

SECOND_US = 1_000_000
RETRY_DELAYS_US: tuple[int, ...] = (5 * SECOND_US, 30 * SECOND_US, 120 * SECOND_US, 600 * SECOND_US, 3600 * SECOND_US)
LATER_DELAY_US = 6 * 3600 * SECOND_US
GIVE_UP_AFTER_US = 3 * 86_400 * SECOND_US
MAX_EVENTS = len(EventType)


def time_text(micros: int) -> str:
    return from_micros(micros).isoformat().replace("+00:00", "Z")


def next_attempt_at(created_at: int, attempts: int, now_us: int) -> int | None:
    """When to try again after ``attempts`` failed attempts (now: the last failure); None: give up."""
    delay = RETRY_DELAYS_US[attempts - 1] if attempts <= len(RETRY_DELAYS_US) else LATER_DELAY_US
    at = now_us + delay
    return at if at <= created_at + GIVE_UP_AFTER_US else None


def body(event_type: EventType, now_us: int, data: dict) -> str:
    return json.dumps({"type": event_type.value, "timestamp": time_text(now_us), "data": data}, separators=(",", ":"))


def alert_data(key_id: str, project_id: str, alert: Alert) -> dict:
    data = {
        "keyId": key_id,
        "projectId": project_id,
        "limit": alert.kind.value,
        "threshold": alert.threshold,
        "usage": format_nanos(alert.usage),
        "amount": format_nanos(alert.amount),
    }
    if alert.kind is LimitKind.RECURRING:
        data["windowStart"] = time_text(alert.window_start)
    return data


def events_to_text(events: list[EventType]) -> str:
    return json.dumps(sorted({e.value for e in events}))


def events_from_text(text: str) -> list[EventType]:
    return [EventType(value) for value in json.loads(text)]
