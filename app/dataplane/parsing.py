"""Validation of data-plane request bodies: a clear BAD_REQUEST for anything malformed."""
from __future__ import annotations

from app import jsonbody
from app.domain import money
from app.domain.text import has_control_characters
from app.domain.usage import MAX_EVENTS_PER_BATCH, EventError, UsageEvent, clean_request_id, parse_event
from app.services.authorize import AuthorizeBody

MAX_MODEL_LENGTH = 200
MAX_KEY_LENGTH = 200
PER_EVENT_CODES = ("NOT_FOUND", "VALIDATION")  # errors that fail one event, not the whole body


class BadRequest(ValueError):
    def __init__(self, message: str, status: int = 400, code: str = "BAD_REQUEST") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


def json_object(body: bytes) -> dict:
    """The decoded body, through the decoder /graphql uses too (``app/jsonbody.py``: exact decimals)."""
    try:
        data = jsonbody.decode(body)
    except jsonbody.NotJson:
        raise BadRequest("the body is not valid JSON: send a JSON object") from None
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object")
    return data


def _text(data: dict, name: str, required: bool, limit: int) -> str | None:
    value = data.get(name)
    if value is None:
        if required:
            raise BadRequest(f"{name} is required")
        return None
    if not isinstance(value, str) or not value or len(value) > limit:
        raise BadRequest(f"{name} must be a non-empty string of at most {limit} characters")
    if has_control_characters(value):
        raise BadRequest(f"{name} must not contain control characters")
    return value


def parse_authorize(body: bytes) -> AuthorizeBody:
    data = json_object(body)
    key = _text(data, "key", True, MAX_KEY_LENGTH)
    model = _text(data, "model", True, MAX_MODEL_LENGTH)
    provider = _text(data, "provider", False, MAX_MODEL_LENGTH)
    estimate = None
    if data.get("estimatedCost") is not None:
        try:
            estimate = money.parse_cost(data["estimatedCost"])
        except money.MoneyError as exc:
            raise BadRequest(f"estimatedCost {exc}") from None
    request_id = None
    if data.get("requestId") is not None:
        try:
            request_id = clean_request_id(data["requestId"])
        except EventError as exc:
            raise BadRequest(exc.message) from None
    return AuthorizeBody(key, model, provider, estimate, request_id)


def parse_usage(body: bytes) -> list[UsageEvent | EventError]:
    """A single event or {"events": [...]}; a malformed event refuses the whole body (nothing recorded),
    an event for an unknown key id or with an ``occurredAt`` out of range is kept as that event's own error."""
    data = json_object(body)
    batch = "events" in data
    raw_events = data["events"] if batch else [data]
    if batch and not isinstance(raw_events, list):
        raise BadRequest("events must be a list")
    if batch and not raw_events:
        raise BadRequest("events must not be empty")
    if len(raw_events) > MAX_EVENTS_PER_BATCH:
        raise BadRequest(f"at most {MAX_EVENTS_PER_BATCH} events per request")
    events: list[UsageEvent | EventError] = []
    for index, raw in enumerate(raw_events):
        try:
            events.append(parse_event(raw))
        except EventError as exc:
            if exc.code not in PER_EVENT_CODES:
                raise BadRequest(f"events[{index}]: {exc.message}" if batch else exc.message) from None
            events.append(exc)
    return events
