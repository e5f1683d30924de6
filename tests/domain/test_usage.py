"""Usage events as the gateway sends them: validation and normalization (pure)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from app.domain.ids import encode
from app.domain.usage import EventError, UsageSource, parse_event

KEY = encode("ApiKey", 7)


def test_a_full_event_is_normalized():
    event = parse_event({"keyId": KEY, "requestId": "r-1", "cost": "0.0000000015", "model": "openai/gpt-4o",
                         "provider": "openai", "source": "PROVIDER_KEY", "occurredAt": "1970-01-01T00:00:01Z"})
    assert (event.key_id, event.request_id, event.cost) == (7, "r-1", 2)
    assert (event.model, event.provider, event.source, event.occurred_at) == (
        "openai/gpt-4o", "openai", UsageSource.PROVIDER_KEY, 1_000_000)


def test_defaults():
    event = parse_event({"keyId": KEY, "requestId": "r", "cost": 0})
    assert (event.source, event.model, event.provider, event.occurred_at) == (UsageSource.CREDITS, None, None, None)


@pytest.mark.parametrize("cost, nanos", [(Decimal("1E-5"), 10_000), (Decimal("0.1000000005"), 100_000_000), (3, 3 * 10**9)])
def test_json_numbers_arrive_as_exact_decimals(cost, nanos):
    assert parse_event({"keyId": KEY, "requestId": "r", "cost": cost}).cost == nanos


@pytest.mark.parametrize("raw, code, message", [
    ({"keyId": KEY, "requestId": "r", "cost": 0.1}, "BAD_REQUEST", "cost must be a decimal number"),  # floats are inexact
    ({"keyId": KEY, "requestId": "r", "cost": Decimal("NaN")}, "BAD_REQUEST", "cost must be a decimal number"),
    ({"keyId": KEY, "requestId": "r", "cost": Decimal("-Infinity")}, "BAD_REQUEST", "cost must be a decimal number"),
    ({"keyId": KEY, "requestId": "r"}, "BAD_REQUEST", "cost is required"),
    ({"keyId": KEY, "cost": "1"}, "BAD_REQUEST", "requestId is required"),
    ({"requestId": "r", "cost": "1"}, "BAD_REQUEST", "keyId is required"),
    ({"keyId": ["x"], "requestId": "r", "cost": "1"}, "BAD_REQUEST", "keyId must be a string"),
    ({"keyId": "garbage", "requestId": "r", "cost": "1"}, "NOT_FOUND", "no API key has this keyId"),
    ({"keyId": encode("Project", 7), "requestId": "r", "cost": "1"}, "NOT_FOUND", "no API key has this keyId"),
    ({"keyId": KEY, "requestId": "r", "cost": "1", "source": "credits"}, "BAD_REQUEST", "source must be"),
    ("not an object", "BAD_REQUEST", "each event must be a JSON object"),
])
def test_bad_events(raw, code, message):
    with pytest.raises(EventError) as refused:
        parse_event(raw)
    assert refused.value.code == code and message in refused.value.message


def test_an_unknown_key_error_keeps_the_request_id():
    with pytest.raises(EventError) as refused:
        parse_event({"keyId": "garbage", "requestId": "req-9", "cost": "1"})
    assert refused.value.request_id == "req-9"
