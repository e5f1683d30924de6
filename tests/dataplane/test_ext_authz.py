"""POST /v1/ext_authz/…: Envoy's external-authorization protocol over the authorize decision, the
gateway catalog (GET /v1/catalog), and the reset time of a full window on /v1/authorize."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from app.dataplane.ext_authz import refusal_status
from app.domain import decision
from tests.support.api import create_key

MODEL = "openai/gpt-4o"
PATH = "/v1/ext_authz/v1/chat/completions"
DAY = {"value": 1, "unit": "DAY"}


async def check(http, gateway, key: str | None, body=None, *, via: str = "authorization", token: str | None = None,
                method: str = "POST"):
    headers = {"x-keyplane-gateway-token": token if token is not None else gateway.token}
    if key is not None:
        headers[via] = f"Bearer {key}" if via == "authorization" else key
    content = body if isinstance(body, (bytes, str)) else None
    return await http.request(method, PATH, headers=headers, content=content,
                              json=None if content is not None else (body if body is not None else {"model": MODEL}))


def openai_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "code"} and error["code"] == code and error["message"]
    return error


async def test_an_allowed_request_gets_the_key_and_project_ids_for_the_upstream(http, acme, gateway):
    created = await create_key(acme)
    for via in ("authorization", "x-api-key"):
        response = await check(http, gateway, created["secret"], via=via)
        assert response.status_code == 200, response.text
        assert response.headers["x-keyplane-key-id"] == created["apiKey"]["id"]
        assert response.headers["x-keyplane-project-id"] == acme.project_id


async def test_without_a_valid_gateway_token_every_request_is_401(http, acme, gateway):
    created = await create_key(acme)
    for token in ("", "kpg_unknown", acme.token, f"Bearer {acme.token}"):
        response = await check(http, gateway, created["secret"], token=token)
        openai_error(response, 401, "UNAUTHENTICATED")
        assert "x-keyplane-key-id" not in response.headers
    assert (await check(http, gateway, created["secret"], token=f"Bearer {gateway.token}")).status_code == 200


async def test_refusals_are_the_statuses_an_openai_client_expects(http, acme, gateway):
    openai_error(await check(http, gateway, "kp_" + "x" * 43), 401, "NOT_FOUND")
    openai_error(await check(http, gateway, None), 401, "UNAUTHENTICATED")
    disabled = await create_key(acme)
    await acme.gql.mutate("SetApiKeyEnabled", id=disabled["apiKey"]["id"], enabled=False)
    openai_error(await check(http, gateway, disabled["secret"]), 403, "DISABLED")
    denied = await create_key(acme, iamRules=[{"type": "DENY_PROVIDERS", "values": ["openai", "azure"]}])
    openai_error(await check(http, gateway, denied["secret"]), 403, "FORBIDDEN")
    capped = await create_key(acme, allTimeLimit="0.5")
    await gateway.usage({"keyId": capped["apiKey"]["id"], "requestId": "r1", "cost": "0.5"})
    response = await check(http, gateway, capped["secret"])
    openai_error(response, 429, "USAGE_EXCEEDED")
    assert "retry-after" not in response.headers  # an all-time limit never resets


async def test_a_full_window_says_when_it_resets(http, acme, gateway, clock):
    created = await create_key(acme, recurringLimit={"amount": "1", "window": DAY})
    await gateway.usage({"keyId": created["apiKey"]["id"], "requestId": "r1", "cost": "1"})
    response = await check(http, gateway, created["secret"])
    openai_error(response, 429, "PERIOD_USAGE_EXCEEDED")
    resets = datetime.fromisoformat(response.headers["x-keyplane-resets-at"])
    assert timedelta(0) < resets - clock.now() <= timedelta(days=1)
    remaining = (resets - clock.now()).total_seconds()
    assert remaining <= int(response.headers["retry-after"]) < remaining + 1
    answer = await gateway.authorize(key=created["secret"], model=MODEL)
    assert answer["code"] == "PERIOD_USAGE_EXCEEDED" and datetime.fromisoformat(answer["resetsAt"]) == resets
    clock.advance(seconds=remaining)
    assert (await check(http, gateway, created["secret"])).status_code == 200


@pytest.fixture
async def usable_key(acme) -> str:
    """One valid key for every example (function-scoped fixtures are shared by hypothesis's examples)."""
    return (await create_key(acme))["secret"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(
    st.binary(max_size=200),
    st.dictionaries(st.text(max_size=8), st.one_of(st.none(), st.integers(), st.text(max_size=10)), max_size=4)
    .map(lambda d: {k: v for k, v in d.items() if k != "model"}),
    st.builds(lambda m: {"model": m}, st.one_of(st.none(), st.integers(), st.just(""), st.text(min_size=201),
                                               st.lists(st.text(max_size=3), max_size=2))),
))
async def test_a_body_without_a_usable_model_is_a_clear_400_never_a_500(http, gateway, usable_key, body):
    if isinstance(body, bytes) and b'"model"' in body:
        return  # random bytes that happen to name a model may be a valid request: not this class
    response = await check(http, gateway, usable_key, body)
    error = openai_error(response, 400, "BAD_REQUEST")
    assert "model" in error["message"]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_envoy_sends_the_clients_method_and_it_is_checked_the_same(http, acme, gateway, method):
    created = await create_key(acme)
    body = b'{"model": "openai/gpt-4o"}'
    assert (await check(http, gateway, created["secret"], body, method=method)).status_code == 200
    openai_error(await check(http, gateway, "kp_nope", body, method=method), 401, "NOT_FOUND")


def test_every_authorize_refusal_code_has_a_status_and_unknown_ones_fail_closed():
    assert refusal_status(decision.NOT_FOUND)[0] == 401
    assert {refusal_status(c)[0] for c in (decision.DISABLED, decision.EXPIRED, decision.FORBIDDEN)} == {403}
    assert {refusal_status(c)[0] for c in (decision.USAGE_EXCEEDED, decision.PERIOD_USAGE_EXCEEDED)} == {429}
    assert refusal_status("DUPLICATE_REQUEST_ID")[0] == 409
    assert refusal_status("SOME_FUTURE_CODE")[0] == 403


async def test_gateways_read_the_catalog_with_a_gateway_token_only(http, acme, gateway):
    response = await http.get("/v1/catalog", headers={"Authorization": f"Bearer {gateway.token}"})
    assert response.status_code == 200
    (gpt_4o,) = [m for m in response.json()["models"] if m["id"] == MODEL]
    assert {"provider": "openai", "inputPricePerMillion": "2.5", "outputPricePerMillion": "10"} in gpt_4o["offers"]
    assert (await http.get("/v1/catalog")).status_code == 401
    assert (await http.get("/v1/catalog", headers={"Authorization": f"Bearer {acme.token}"})).status_code == 403
