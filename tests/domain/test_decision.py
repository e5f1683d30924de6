"""The authorize decision (pure): the order of checks, the limit arithmetic with holds and
estimates, and messages that say what to do."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain import decision
from app.domain.catalog import Catalog, Offer
from app.domain.decision import Counters, KeySnapshot, Request, decide, within_limit
from app.domain.iam import Rule, RuleType

CATALOG = Catalog((Offer("openai/gpt-4o", "openai", 2_500_000_000, 10_000_000_000),
                   Offer("openai/gpt-4o", "azure", 2_500_000_000, 10_000_000_000)))
NOW = 1_000_000_000_000
DOLLAR = 10**9


def key(**overrides) -> KeySnapshot:
    fields = dict(key_id=1, project_id=2, enabled=True, expires_at=None, all_time_limit=None, recurring_amount=None, rules=())
    fields.update(overrides)
    return KeySnapshot(**fields)


def run(snapshot, counters=Counters(), **request) -> decision.Decision:
    return decide(snapshot, counters, Request(request.pop("model", "openai/gpt-4o"), **request), CATALOG, NOW)


DENY_AZURE = Rule("rule-1", RuleType.DENY_PROVIDERS, ("azure",))


def test_everything_wrong_at_once_shows_in_the_contract_order():
    counters = Counters(usage=5 * DOLLAR, window_usage=5 * DOLLAR)
    worst = dict(enabled=False, expires_at=NOW, all_time_limit=DOLLAR, recurring_amount=DOLLAR, rules=(DENY_AZURE,))
    expected = ["EXPIRED", "DISABLED", "FORBIDDEN", "USAGE_EXCEEDED", "PERIOD_USAGE_EXCEEDED", "VALID"]
    fixes = [("expires_at", None), ("enabled", True), ("rules", ()), ("all_time_limit", None), ("recurring_amount", None)]
    for step, code in enumerate(expected):
        answer = run(key(**worst), counters, provider="azure")
        assert answer.code == code
        assert answer.allowed is (code == "VALID")
        if step < len(fixes):
            worst[fixes[step][0]] = fixes[step][1]


def test_no_key_is_not_found():
    assert run(None).code == "NOT_FOUND"


def test_forbidden_names_the_rule_and_lists_no_provider_when_none_passes():
    answer = run(key(rules=(Rule("r9", RuleType.ALLOW_PROVIDERS, ("openai",)),)), provider="azure")
    assert (answer.code, answer.rule_id) == ("FORBIDDEN", "r9")
    listing = run(key(rules=(Rule("r9", RuleType.DENY_MODELS, ("openai/*",)),)))
    assert (listing.code, listing.allowed_providers) == ("FORBIDDEN", ())


@pytest.mark.parametrize("used, held, estimate, limit, allowed", [
    (0, 0, None, 0, False),          # a zero limit blocks everything
    (0, 0, 0, 0, False),
    (99, 0, None, 100, True),
    (100, 0, None, 100, False),      # usage >= limit
    (60, 40, None, 100, False),      # holds count
    (60, 30, 10, 100, True),         # exactly fits
    (60, 30, 11, 100, False),
    (0, 0, 101, 100, False),
])
def test_within_limit(used, held, estimate, limit, allowed):
    assert within_limit(used, held, estimate, limit) is allowed


@given(st.integers(0, 10**18), st.integers(0, 10**18), st.integers(0, 10**18), st.integers(0, 10**18))
@settings(max_examples=300, deadline=None)
def test_an_allowed_estimate_never_passes_the_limit(used, held, estimate, limit):
    if within_limit(used, held, estimate, limit):
        assert used + held + estimate <= limit and used + held < limit


def test_limit_messages_say_what_happened_and_what_to_do():
    reached = run(key(all_time_limit=DOLLAR), Counters(usage=DOLLAR // 2, held=DOLLAR // 2))
    assert reached.message == ("all-time limit of 1 reached (used 0.5, held for requests in flight 0.5):"
                               " raise or remove the key's all-time limit")
    too_big = run(key(recurring_amount=DOLLAR), Counters(window_usage=DOLLAR // 4), estimated_cost=DOLLAR)
    assert too_big.code == "PERIOD_USAGE_EXCEEDED"
    assert too_big.message.startswith("the estimated cost 1 does not fit in the recurring limit of 1 (used 0.25)")
    assert "next window" in too_big.message


def test_the_window_counters_decide_the_recurring_limit_alone():
    counters = Counters(usage=50 * DOLLAR, window_usage=0)
    assert run(key(recurring_amount=DOLLAR), counters).code == "VALID"
    assert run(key(recurring_amount=DOLLAR), Counters(window_held=DOLLAR)).code == "PERIOD_USAGE_EXCEEDED"


@given(state=st.sampled_from(list(decision.RequestState)), enabled=st.booleans(), expired=st.booleans(),
       forbidden=st.booleans(), over=st.booleans())
def test_the_request_id_is_checked_after_status_and_before_iam_and_limits(state, enabled, expired, forbidden, over):
    snapshot = key(enabled=enabled, expires_at=NOW if expired else None, all_time_limit=DOLLAR,
                   rules=(DENY_AZURE,) if forbidden else ())
    counters = Counters(usage=DOLLAR if over else 0)
    answer = decide(snapshot, counters, Request("openai/gpt-4o", "azure", DOLLAR), CATALOG, NOW, state=state)
    if expired or not enabled:
        expected = "EXPIRED" if expired else "DISABLED"
    elif state is decision.RequestState.SETTLED:
        expected = "DUPLICATE_REQUEST_ID"
    elif forbidden:
        expected = "FORBIDDEN"
    elif over and state is decision.RequestState.NEW:
        expected = "USAGE_EXCEEDED"
    else:
        expected = "VALID"  # a held request id is already counted: a retry gets the same answer
    assert answer.code == expected
    assert answer.allowed is (expected == "VALID")
