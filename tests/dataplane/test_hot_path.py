"""The hot path (app/dataplane/hot_path.py) answers the data plane's POSTs exactly as the full
Starlette stack would: same status, headers and body for every request, good or bad; the stack
still answers what the hot path leaves to it (CORS, other methods)."""
from __future__ import annotations

import json
import logging

import httpx
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from starlette.applications import Starlette

from app.server import create_app
from app.settings import Settings
from tests.support.api import create_key

MODEL = "openai/gpt-4o"
COMPARED_HEADERS = ("content-type", "content-length", "www-authenticate", "allow")


@pytest.fixture
async def stack(app):
    """The same app, entered below its hot path: every request goes through middleware and router."""
    async def through_the_stack(scope, receive, send):
        await Starlette.__call__(app, scope, receive, send)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=through_the_stack),
                                 base_url="http://keyplane.test") as client:
        yield client


@pytest.fixture
async def key(acme) -> dict:
    """One key with limits and a rule, shared by hypothesis's examples."""
    created = await create_key(acme, allTimeLimit="1", iamRules=[{"type": "DENY_PROVIDERS", "values": ["azure"]}])
    return {"secret": created["secret"], "id": created["apiKey"]["id"]}


def same_answer(hot: httpx.Response, full: httpx.Response) -> None:
    assert hot.status_code == full.status_code, (hot.text, full.text)
    assert hot.content == full.content
    for name in COMPARED_HEADERS:
        assert hot.headers.get(name) == full.headers.get(name), name


def authorize_bodies(key: dict):
    fields = st.fixed_dictionaries({}, optional={
        "key": st.sampled_from([key["secret"], "kp_unknown", ""]) | st.text(max_size=8),
        "model": st.sampled_from([MODEL, "anthropic/claude-3", "", "x" * 300]) | st.integers(),
        "provider": st.sampled_from(["openai", "azure", "nobody"]) | st.none(),
        "estimatedCost": st.sampled_from(["0.1", "-1", "abc", "1e400"]) | st.floats(allow_nan=False),
    })
    as_json = fields.map(lambda d: json.dumps(d).encode())
    return as_json | st.binary(max_size=40) | st.sampled_from([b"", b"[]", b"null", b'{"key": ', "é".encode()])


TOKENS = st.sampled_from(["gateway", "management", "wrong", None])


def headers_for(token_kind: str | None, gateway, acme=None) -> dict:
    """The Authorization header of a gateway token, a management token, a wrong one, or none."""
    if token_kind is None:
        return {}
    token = {"gateway": lambda: gateway.token, "management": lambda: acme.token, "wrong": lambda: "kpg_wrong"}
    return {"Authorization": f"Bearer {token[token_kind]()}"}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), token=TOKENS)
async def test_every_authorize_request_gets_the_answer_the_full_stack_gives(http, stack, gateway, acme, key, data,
                                                                           token):
    body = data.draw(authorize_bodies(key))
    headers = headers_for(token, gateway, acme)
    same_answer(await http.post("/v1/authorize", content=body, headers=headers),
                await stack.post("/v1/authorize", content=body, headers=headers))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(token=TOKENS, event=st.fixed_dictionaries({}, optional={
    "cost": st.sampled_from(["0.001", "-1", "x", ""]) | st.integers(), "source": st.sampled_from(["CREDITS", "bad"]),
    "occurredAt": st.sampled_from(["2020-01-01T00:00:00Z", "tomorrow"])}), known=st.booleans(),
    request_id=st.uuids())
async def test_every_usage_request_gets_the_answer_the_full_stack_gives(http, stack, gateway, acme, key, token,
                                                                       event, known, request_id):
    headers = headers_for(token, gateway, acme)
    key_id = key["id"] if known else "QXBpS2V5Ojk5OTk5"

    def body(path: str) -> dict:  # a request id of its own per path: the second would be a duplicate
        return {"events": [{**event, "keyId": key_id, "requestId": f"{request_id}-{path}"}]}

    hot = await http.post("/v1/usage", json=body("hot"), headers=headers)
    full = await stack.post("/v1/usage", json=body("full"), headers=headers)
    assert hot.status_code == full.status_code, (hot.text, full.text)
    assert hot.text.replace(f"{request_id}-hot", "ID") == full.text.replace(f"{request_id}-full", "ID")
    assert hot.headers.get("www-authenticate") == full.headers.get("www-authenticate")


@pytest.mark.parametrize("headers, body", [
    ({"Content-Length": "not a number"}, b"{}"),
    ({"Content-Length": str(2 * 1024 * 1024)}, b"{}"),
])
async def test_refused_lengths_are_the_same_on_both(http, stack, gateway, headers, body):
    hot = await http.post("/v1/authorize", content=body, headers={**headers_for("gateway", gateway), **headers})
    full = await stack.post("/v1/authorize", content=body, headers={**headers_for("gateway", gateway), **headers})
    same_answer(hot, full)
    assert hot.status_code in (400, 413) and hot.json()["error"]["code"] in ("BAD_REQUEST", "PAYLOAD_TOO_LARGE")


async def test_a_body_over_the_limit_without_a_length_is_refused(http, gateway):
    async def chunks():
        for _ in range(17):
            yield b" " * 65536

    answer = await http.post("/v1/usage", content=chunks(), headers=headers_for("gateway", gateway))
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_an_escaped_exception_is_a_masked_500_and_logged(app, http, gateway, caplog):
    async def broken(authorization, body):
        raise RuntimeError("SELECT secret FROM api_keys")

    app.hot_path.handlers["/v1/authorize"] = broken
    with caplog.at_level(logging.ERROR, logger="keyplane.guards"):
        answer = await http.post("/v1/authorize", json={}, headers=headers_for("gateway", gateway))
    assert answer.status_code == 500
    assert answer.json() == {"error": {"code": "INTERNAL", "message": "internal error"}}
    assert "SELECT" not in answer.text
    assert any("unhandled error on /v1/authorize" in r.getMessage() for r in caplog.records)


async def test_each_answer_gets_one_access_line_without_the_body(http, gateway, key, caplog):
    with caplog.at_level(logging.INFO, logger="keyplane.access"):
        await http.post("/v1/authorize", json={"key": key["secret"], "model": MODEL},
                        headers=headers_for("gateway", gateway))
    lines = [r for r in caplog.records if r.name == "keyplane.access"]
    assert len(lines) == 1
    fields = lines[0].fields
    assert (fields["method"], fields["path"], fields["status"]) == ("POST", "/v1/authorize", 200)
    assert key["secret"] not in json.dumps(fields)


async def test_browser_requests_get_cors_headers_when_origins_are_configured(database, clock, acme, gateway, key):
    allowed = "https://dash.example.com"
    app = create_app(Settings(database_url=database, cors_origins=(allowed,), webhook_delivery=False), clock,
                     manage_database=False)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://keyplane.test") as http:
            headers = headers_for("gateway", gateway)
            from_browser = await http.post("/v1/authorize", json={"key": key["secret"], "model": MODEL},
                                           headers={**headers, "Origin": allowed})
            assert from_browser.headers["access-control-allow-origin"] == allowed
            assert from_browser.json()["allowed"] is True
            from_gateway = await http.post("/v1/authorize", json={"key": key["secret"], "model": MODEL}, headers=headers)
            assert "access-control-allow-origin" not in from_gateway.headers
            assert from_gateway.json() == from_browser.json()


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_other_methods_are_left_to_the_router(http, gateway, method):
    answer = await http.request(method, "/v1/authorize", headers=headers_for("gateway", gateway))
    assert answer.status_code == 405 and answer.headers["allow"] == "POST"
    assert answer.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


@pytest.mark.parametrize("order", [("gateway", "wrong"), ("wrong", "gateway")])
async def test_a_repeated_authorization_header_is_read_as_the_stack_reads_it(http, stack, gateway, key, order):
    headers = [("Authorization", headers_for(kind, gateway)["Authorization"]) for kind in order]
    body = json.dumps({"key": key["secret"], "model": MODEL}).encode()
    same_answer(await http.post("/v1/authorize", content=body, headers=headers),
                await stack.post("/v1/authorize", content=body, headers=headers))
