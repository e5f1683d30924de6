"""A real LiteLLM proxy with keyplane-litellm (custom_auth + usage callback) in front of mock models,
driven by the openai SDK with keyplane keys."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import openai
import pytest

from tests.integrations.gateways import Keyplane, LiteLLMProxy, wait_until

MASTER_KEY = "sk-litellm-master-e2e"
# LiteLLM's prices for the mock models, per token, the same as keyplane's catalog (per million)
GPT_4O = {"input_cost_per_token": 0.0000025, "output_cost_per_token": 0.00001}
PRICES = {"openai/gpt-4o": (Decimal("2.5"), Decimal("10"))}
SLOW_SECONDS = 6  # long enough that every concurrent request is authorized while the first are in flight


def model(name: str, **params) -> dict:
    return {"model_name": name, "litellm_params": {"model": name, "api_key": "mock", **params}}


CONFIG = {
    "model_list": [
        model("openai/gpt-4o", mock_response="Hello from the mock", **GPT_4O),
        model("openai/gpt-4o-mini", mock_response="slow hello", mock_delay=SLOW_SECONDS),
        model("openai/o3-mini", mock_response="litellm.InternalServerError"),
    ],
    "general_settings": {"custom_auth": "keyplane_litellm.user_api_key_auth", "master_key": MASTER_KEY},
    "litellm_settings": {"callbacks": "keyplane_litellm.usage_logger", "num_retries": 0},
    "router_settings": {"num_retries": 0},
}


@pytest.fixture(scope="module")
def stack(sqlite_only, tmp_path_factory):
    directory = tmp_path_factory.mktemp("litellm")
    keyplane = Keyplane(directory).start()
    proxy = LiteLLMProxy(directory, keyplane, CONFIG, KEYPLANE_ESTIMATE_COSTS="true")
    try:
        proxy.start()
        yield keyplane, proxy
    finally:
        proxy.stop()
        keyplane.stop()


def client(proxy: LiteLLMProxy, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=proxy.url + "/v1", api_key=key, max_retries=0, timeout=30)


def ask(proxy: LiteLLMProxy, key: str, model_id: str = "openai/gpt-4o", **extra):
    """A chat completion through the proxy: (completion, LiteLLM's call id)."""
    raw = client(proxy, key).chat.completions.with_raw_response.create(
        model=model_id, messages=[{"role": "user", "content": "hi"}], **extra)
    return raw.parse(), raw.headers["x-litellm-call-id"]


def keyplane_error(error: openai.APIStatusError) -> dict:
    """keyplane's code (and rule id, reset time) in LiteLLM's error body."""
    return error.body["provider_specific_fields"]["keyplane"]


def exact_cost(completion) -> Decimal:
    input_price, output_price = PRICES[completion.model]
    return (completion.usage.prompt_tokens * input_price + completion.usage.completion_tokens * output_price) / 1_000_000


def test_an_allowed_call_returns_the_completion_and_its_exact_cost_is_recorded(stack):
    keyplane, proxy = stack
    secret, key_id = keyplane.create_key(allTimeLimit="5")
    completions = [ask(proxy, secret) for _ in range(3)]
    for completion, _ in completions:
        assert completion.choices[0].message.content == "Hello from the mock"
    # LiteLLM's own float sums to 0.00022500000000000002 per call; keyplane must hold the exact amount
    expected = sum(exact_cost(c) for c, _ in completions)
    seen = wait_until(lambda: (u := keyplane.usage(key_id)) and len(u["records"]) == 3 and u, what="the usage reports")
    assert Decimal(seen["usage"]) == expected
    for completion, call_id in completions:
        record = seen["records"][call_id]
        assert Decimal(record["cost"]) == exact_cost(completion)
        assert record["model"] == "openai/gpt-4o" and record["provider"] == "openai"


def test_an_iam_denied_model_is_403_naming_the_rule(stack):
    keyplane, proxy = stack
    secret, key_id = keyplane.create_key(iamRules=[{"type": "DENY_MODELS", "values": ["openai/gpt-4o"]}])
    (rule_id,) = keyplane.rule_ids(key_id)
    with pytest.raises(openai.PermissionDeniedError) as refused:
        ask(proxy, secret)
    assert refused.value.status_code == 403
    assert rule_id in refused.value.message
    assert keyplane_error(refused.value) == {"code": "FORBIDDEN", "ruleId": rule_id}


def test_a_disabled_or_unknown_key_is_401(stack):
    keyplane, proxy = stack
    secret, key_id = keyplane.create_key()
    ask(proxy, secret)
    keyplane.disable(key_id)
    for key in (secret, "kp_" + "y" * 43):
        with pytest.raises(openai.AuthenticationError) as refused:
            ask(proxy, key)
        assert refused.value.status_code == 401


def test_a_key_over_its_recurring_limit_is_429_with_the_reset_time(stack):
    keyplane, proxy = stack
    # one call (estimate 10 tokens × $10/M = 0.0001, cost 0.000225) fits in 0.0003; then the window is too full
    secret, key_id = keyplane.create_key(recurringLimit={"amount": "0.0003", "window": {"value": 1, "unit": "DAY"}})
    ask(proxy, secret, max_tokens=10)
    wait_until(lambda: Decimal(keyplane.usage(key_id)["usage"]) > 0, what="the first call's usage")
    with pytest.raises(openai.RateLimitError) as refused:
        ask(proxy, secret, max_tokens=10)
    assert refused.value.status_code == 429
    error = keyplane_error(refused.value)
    assert error["code"] == "PERIOD_USAGE_EXCEEDED"
    resets_at = datetime.fromisoformat(error["resetsAt"])
    assert timedelta(0) < resets_at - datetime.now(timezone.utc) <= timedelta(days=1)
    assert f"resets at {error['resetsAt']}" in refused.value.message
    assert refused.value.response.headers["x-keyplane-resets-at"] == error["resetsAt"]


def test_a_hard_capped_key_admits_exactly_the_concurrent_calls_that_fit(stack):
    keyplane, proxy = stack
    # each call holds max_tokens × gpt-4o-mini's output price: 1000 × $0.6/M = 0.0006; 3 fit in 0.002, not 4
    secret, key_id = keyplane.create_key(allTimeLimit="0.002")

    async def one(sdk: openai.AsyncOpenAI) -> int:
        try:
            await sdk.chat.completions.create(model="openai/gpt-4o-mini", max_tokens=1000,
                                              messages=[{"role": "user", "content": "hi"}])
            return 200
        except openai.APIStatusError as exc:
            return exc.status_code

    async def burst() -> list[int]:
        sdk = openai.AsyncOpenAI(base_url=proxy.url + "/v1", api_key=secret, max_retries=0, timeout=30)
        async with sdk:
            return await asyncio.gather(*(one(sdk) for _ in range(8)))

    statuses = asyncio.run(burst())
    assert sorted(statuses) == [200] * 3 + [429] * 5


def test_a_failed_call_settles_its_hold_at_zero(stack):
    keyplane, proxy = stack
    secret, key_id = keyplane.create_key(allTimeLimit="1")
    with pytest.raises(openai.APIStatusError) as failed:
        ask(proxy, secret, model_id="openai/o3-mini", max_tokens=100)
    call_id = failed.value.response.headers["x-litellm-call-id"]
    seen = wait_until(lambda: (u := keyplane.usage(key_id)) and call_id in u["records"] and u,
                      what="the failed call's report")
    assert Decimal(seen["records"][call_id]["cost"]) == 0
    assert Decimal(seen["usage"]) == 0


def test_usage_reported_while_keyplane_restarts_is_not_lost_and_an_outage_fails_closed(stack):
    keyplane, proxy = stack
    secret, key_id = keyplane.create_key(allTimeLimit="1")

    async def slow_calls() -> list[str]:
        sdk = openai.AsyncOpenAI(base_url=proxy.url + "/v1", api_key=secret, max_retries=0, timeout=30)
        async with sdk:
            calls = [sdk.chat.completions.with_raw_response.create(
                model="openai/gpt-4o-mini", max_tokens=50, messages=[{"role": "user", "content": "hi"}])
                for _ in range(4)]
            tasks = [asyncio.ensure_future(c) for c in calls]
            # every call is authorized (a hold each) before keyplane goes away; they finish while it is down
            await asyncio.to_thread(wait_until, lambda: _holds(keyplane, key_id) == 4, 20, "the four holds")
            await asyncio.to_thread(keyplane.stop)
            raws = await asyncio.gather(*tasks)
            with pytest.raises(openai.APIStatusError) as down:
                await sdk.chat.completions.create(model="openai/gpt-4o", messages=[{"role": "user", "content": "hi"}])
            assert down.value.status_code == 503  # fail closed: no key service, no calls
            return [raw.headers["x-litellm-call-id"] for raw in raws]

    call_ids = asyncio.run(slow_calls())
    keyplane.start()
    seen = wait_until(lambda: (u := keyplane.usage(key_id)) and len(u["records"]) == 4 and u, timeout=30,
                      what="the reports queued during the outage")
    assert set(seen["records"]) == set(call_ids)
    assert Decimal(seen["usage"]) > 0


def _holds(keyplane: Keyplane, key_id: str) -> int:
    import sqlite3

    from app.domain import ids

    path = keyplane.database_url.removeprefix("sqlite://")
    with sqlite3.connect(path) as db:
        return db.execute("SELECT COUNT(*) FROM holds WHERE key_id = ?", [ids.decode_as("ApiKey", key_id)]).fetchone()[0]


def test_the_proxys_shutdown_sends_the_usage_still_queued(stack, tmp_path):
    """A proxy that would flush only every 10 minutes: its usage arrives because it is stopped."""
    keyplane, _ = stack
    lazy = LiteLLMProxy(tmp_path, keyplane, CONFIG, KEYPLANE_USAGE_FLUSH_MS="600000").start()
    try:
        secret, key_id = keyplane.create_key()
        _, call_id = ask(lazy, secret)
        assert keyplane.usage(key_id)["records"] == {}  # still queued in the proxy
    finally:
        lazy.stop()  # SIGTERM: LiteLLM's orderly shutdown
    assert call_id in keyplane.usage(key_id)["records"]
