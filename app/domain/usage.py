"""Usage events as the gateway reports them: validated and normalized, without I/O."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from app.domain import ids, money
from app.domain.text import has_control_characters
from app.domain.timeconv import OutOfRange, checked_micros

MAX_EVENTS_PER_BATCH = 1000
MAX_REQUEST_ID_LENGTH = 128
MAX_LABEL_LENGTH = 200
OCCURRED_AT_SLACK_US = 5 * 60 * 1_000_000  # clocks of gateways and keyplane may differ by this much


class UsageSource(str, enum.Enum):
    CREDITS = "CREDITS"
    PROVIDER_KEY = "PROVIDER_KEY"


@dataclass(frozen=True)
class UsageEvent:
    key_id: int
    request_id: str
    cost: int  # nanos
    model: str | None
    provider: str | None
    source: UsageSource
    occurred_at: int | None  # microseconds; None: when it is recorded


class EventError(ValueError):
    def __init__(self, code: str, message: str, request_id: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.request_id = request_id


def clean_request_id(raw) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise EventError("BAD_REQUEST", "requestId is required and must be a non-empty string")
    if len(raw) > MAX_REQUEST_ID_LENGTH:
        raise EventError("BAD_REQUEST", f"requestId must be at most {MAX_REQUEST_ID_LENGTH} characters")
    if has_control_characters(raw):
        raise EventError("BAD_REQUEST", "requestId must not contain control characters")
    return raw


def _label(raw, name: str) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or len(raw) > MAX_LABEL_LENGTH or has_control_characters(raw):
        raise EventError("BAD_REQUEST", f"{name} must be a string of at most {MAX_LABEL_LENGTH} printable characters")
    return raw


def _occurred_at(raw) -> int | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or len(raw) > 64:
        raise EventError("BAD_REQUEST", "occurredAt must be an ISO 8601 date-time with an offset")
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00") if raw.endswith("Z") else raw)
    except ValueError:
        raise EventError("BAD_REQUEST", "occurredAt must be an ISO 8601 date-time with an offset") from None
    if moment.tzinfo is None:
        raise EventError("BAD_REQUEST", "occurredAt needs a UTC offset, e.g. 2026-01-31T10:00:00Z")
    try:
        return checked_micros(moment)
    except OutOfRange:
        raise EventError("VALIDATION", OCCURRED_AT_MESSAGE) from None


OCCURRED_AT_MESSAGE = "occurredAt must lie between 5 minutes before the key was created and 5 minutes after now"


def occurred_at_allowed(occurred_at_us: int, key_created_us: int, now_us: int) -> bool:
    """The contract's window for ``occurredAt``: a request cannot happen before its key existed nor in
    the future, give or take clock skew."""
    return key_created_us - OCCURRED_AT_SLACK_US <= occurred_at_us <= now_us + OCCURRED_AT_SLACK_US


def overflows(usage: int, cost: int) -> bool:
    """Whether recording ``cost`` would take a key's all-time usage past the most it may reach (LIMIT_OVERFLOW)."""
    return usage + cost > money.MAX_USAGE_NANOS


def parse_event(raw) -> UsageEvent:
    if not isinstance(raw, dict):
        raise EventError("BAD_REQUEST", "each event must be a JSON object")
    request_id = clean_request_id(raw.get("requestId"))
    if "cost" not in raw or raw["cost"] is None:
        raise EventError("BAD_REQUEST", "cost is required")
    try:
        cost = money.parse_cost(raw["cost"])
    except money.MoneyError as exc:
        raise EventError("BAD_REQUEST", f"cost {exc}") from None
    source_raw = raw.get("source") or "CREDITS"
    try:
        source = UsageSource(source_raw)
    except ValueError:
        raise EventError("BAD_REQUEST", "source must be CREDITS or PROVIDER_KEY") from None
    occurred_at = raw.get("occurredAt")
    raw_key_id = raw.get("keyId")
    if raw_key_id is None:
        raise EventError("BAD_REQUEST", "keyId is required")
    if not isinstance(raw_key_id, str):
        raise EventError("BAD_REQUEST", "keyId must be a string: the API key's id as GraphQL shows it")
    key_id = ids.decode_as("ApiKey", raw_key_id)
    if key_id is None:
        raise EventError("NOT_FOUND", "no API key has this keyId", request_id)
    try:
        occurred_at = _occurred_at(occurred_at)
    except EventError as exc:
        exc.request_id = request_id
        raise
    return UsageEvent(
        key_id=key_id,
        request_id=request_id,
        cost=cost,
        model=_label(raw.get("model"), "model"),
        provider=_label(raw.get("provider"), "provider"),
        source=source,
        occurred_at=occurred_at,
    )
