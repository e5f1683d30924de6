"""A real Envoy (integrations/envoy/envoy.yaml) with keyplane as its ext_authz, in front of a mock upstream."""
from __future__ import annotations

import httpx
import pytest

from tests.integrations.gateways import Envoy, Keyplane, MockUpstream, envoy_config, wait_until
from tests.support.live import free_port

CHAT = "/v1/chat/completions"


@pytest.fixture(scope="module")
def stack(sqlite_only, tmp_path_factory):
    directory = tmp_path_factory.mktemp("envoy")
    keyplane = Keyplane(directory).start()
    upstream = MockUpstream().start()
    listener, admin = free_port(), free_port()
    envoy = Envoy(directory, envoy_config(keyplane, upstream.port, listener, admin))
    envoy.start(f"http://127.0.0.1:{admin}/ready")
    wait_until(lambda: _ready(admin), what="Envoy's listener")
    try:
        yield keyplane, upstream, f"http://127.0.0.1:{listener}"
    finally:
        envoy.stop()
        upstream.stop()
        keyplane.stop()


def _ready(admin: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{admin}/ready", timeout=1).text.strip() == "LIVE"
    except httpx.TransportError:
        return False


def chat(base: str, key: str | None, model: str | None = "openai/gpt-4o", header: str = "authorization") -> httpx.Response:
    headers = {}
    if key is not None:
        headers[header] = f"Bearer {key}" if header == "authorization" else key
    body = {"messages": [{"role": "user", "content": "hi"}]}
    if model is not None:
        body["model"] = model
    return httpx.post(base + CHAT, json=body, headers=headers, timeout=10)


def seen_with(upstream: MockUpstream, marker: str) -> list[dict]:
    return [r for r in upstream.seen if marker.encode() in r["body"]]


def test_an_allowed_request_reaches_the_upstream_with_the_key_and_project_ids(stack):
    keyplane, upstream, base = stack
    secret, key_id = keyplane.create_key()
    response = chat(base, secret)
    assert response.status_code == 200, response.text
    assert response.json()["choices"][0]["message"]["content"] == "upstream says hi"
    (seen,) = [r for r in upstream.seen if r["headers"].get("x-keyplane-key-id") == key_id]
    assert seen["headers"]["x-keyplane-project-id"] == keyplane.project()
    assert seen["path"] == CHAT


def test_x_api_key_works_like_a_bearer_key(stack):
    keyplane, upstream, base = stack
    secret, key_id = keyplane.create_key()
    assert chat(base, secret, header="x-api-key").status_code == 200
    assert any(r["headers"].get("x-keyplane-key-id") == key_id for r in upstream.seen)


def _refused(upstream: MockUpstream, response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"] and error["type"]
    return error


def test_an_unknown_key_is_401_and_never_reaches_the_upstream(stack):
    keyplane, upstream, base = stack
    before = len(upstream.seen)
    _refused(upstream, chat(base, "kp_" + "x" * 43), 401, "NOT_FOUND")
    _refused(upstream, chat(base, None), 401, "UNAUTHENTICATED")
    assert len(upstream.seen) == before


def test_a_disabled_key_and_an_iam_refusal_are_403(stack):
    keyplane, upstream, base = stack
    before = len(upstream.seen)
    secret, key_id = keyplane.create_key()
    keyplane.disable(key_id)
    _refused(upstream, chat(base, secret), 403, "DISABLED")
    denied, _ = keyplane.create_key(iamRules=[{"type": "DENY_MODELS", "values": ["openai/gpt-4o"]}])
    error = _refused(upstream, chat(base, denied), 403, "FORBIDDEN")
    assert "openai/gpt-4o" in error["message"]
    assert chat(base, denied, model="openai/gpt-4o-mini").status_code == 200  # the rule names one model only
    assert len(upstream.seen) == before + 1


def test_a_key_over_its_limit_is_429_with_when_it_resets(stack):
    keyplane, upstream, base = stack
    secret, key_id = keyplane.create_key(recurringLimit={"amount": "0.01", "window": {"value": 1, "unit": "DAY"}})
    httpx.post(keyplane.url + "/v1/usage", headers={"Authorization": f"Bearer {keyplane.gateway}"}, timeout=10,
               json={"keyId": key_id, "requestId": "spent", "cost": "0.01"}).raise_for_status()
    before = len(upstream.seen)
    response = chat(base, secret)
    _refused(upstream, response, 429, "PERIOD_USAGE_EXCEEDED")
    assert 0 < int(response.headers["retry-after"]) <= 86_400
    assert response.headers["x-keyplane-resets-at"]
    assert len(upstream.seen) == before


def test_a_body_without_a_model_is_refused_clearly(stack):
    keyplane, upstream, base = stack
    secret, _ = keyplane.create_key()
    before = len(upstream.seen)
    error = _refused(upstream, chat(base, secret, model=None), 400, "BAD_REQUEST")
    assert "model" in error["message"]
    assert len(upstream.seen) == before


def test_without_the_gateway_token_every_key_is_401(stack):
    """Envoy adds the gateway token: a caller that reaches keyplane's ext_authz directly gets nothing."""
    keyplane, upstream, base = stack
    secret, _ = keyplane.create_key()
    for token in (None, "kpg_not-a-token", keyplane.management):
        headers = {"authorization": f"Bearer {secret}"}
        if token:
            headers["x-keyplane-gateway-token"] = token
        response = httpx.post(keyplane.url + "/v1/ext_authz" + CHAT, headers=headers, json={"model": "openai/gpt-4o"})
        assert response.status_code == 401, response.text
        assert response.json()["error"]["code"] == "UNAUTHENTICATED"
