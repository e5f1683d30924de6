"""Fuzzing the three endpoints with generated and malformed inputs: never a 5xx, never a
stack trace or an unmasked bug, and the server healthy afterwards."""
from __future__ import annotations

import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from app.domain.ids import encode
from app.server import create_app
from app.services import orgs, projects, tokens
from app.services.callers import Tenant
from app.settings import Settings
from tests.conftest import TEST_DATABASE_URL, TABLES
from tests.support.clock import FakeClock
from tests.support.documents import document, operation_names
from tests.support.live import LiveServer

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    url = TEST_DATABASE_URL or f"sqlite://{tmp_path_factory.mktemp('fuzz')}/fuzz.sqlite3"
    server = LiveServer(create_app(Settings(database_url=url, poll_interval_ms=50), FakeClock())).start()

    async def setup():
        from app.store import sql

        if TEST_DATABASE_URL:
            await sql.execute(sql.client(), f"TRUNCATE {', '.join(t for t in TABLES if t != 'catalog_offers')} RESTART IDENTITY CASCADE")
        clock = FakeClock()
        org = await orgs.create_org(clock, "fuzz")
        management = await tokens.create(clock, tokens.MANAGEMENT, org.id)
        gateway = await tokens.create(clock, tokens.GATEWAY, None)
        project = await projects.create_project(Tenant(org.id, management.id), clock, "P")
        return management.secret, gateway.secret, encode("Project", project.id)

    server.management, server.gateway, server.project_id = server.call(setup())
    with httpx.Client(base_url=server.url, timeout=30) as client:
        created = client.post("/graphql", headers={"Authorization": f"Bearer {server.management}"}, json={
            "query": document("CreateApiKey"),
            "variables": {"input": {"projectId": server.project_id, "name": "fuzz", "allTimeLimit": "5",
                                    "recurringLimit": {"amount": "1", "window": {"value": 1, "unit": "HOUR"}}}},
        }).json()["data"]["createApiKey"]
    server.key, server.key_id = created["secret"], created["apiKey"]["id"]
    server.http = httpx.Client(base_url=server.url, timeout=30)
    yield server
    server.http.close()
    server.stop()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10**30), max_value=10**30) | st.floats() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=15,
)
money_like = st.sampled_from(["0", "0.1", "-1", "1e400", "NaN", "Infinity", "1.0000000001", "1000000000.1", " 2 ",
                              "", "0x10", "１", "9" * 40]) | json_values


def assert_sane(response: httpx.Response) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:500])
    assert "Traceback" not in response.text and 'File "' not in response.text
    body = response.json()
    assert isinstance(body, dict)
    for error in body.get("errors") or []:
        assert error.get("message") != "Internal error.", body


@FUZZ
@given(body=st.fixed_dictionaries({}, optional={
    "key": st.just("KEY") | json_values, "model": st.sampled_from(["openai/gpt-4o", "x"]) | json_values,
    "provider": st.sampled_from(["openai", "azure"]) | json_values, "estimatedCost": money_like,
    "requestId": st.text(max_size=200) | json_values,
}) | json_values)
def test_authorize_never_fails_badly(live, body):
    if isinstance(body, dict) and body.get("key") == "KEY":
        body["key"] = live.key
    response = live.http.post("/v1/authorize", content=json.dumps(body), headers={"Authorization": f"Bearer {live.gateway}"})
    assert_sane(response)


event = st.fixed_dictionaries({}, optional={
    "keyId": st.just("KEYID") | json_values, "requestId": st.text(max_size=200) | json_values, "cost": money_like,
    "model": json_values, "provider": json_values, "source": st.sampled_from(["CREDITS", "PROVIDER_KEY", "X"]) | json_values,
    "occurredAt": st.sampled_from(["2026-01-01T00:00:00Z", "yesterday", "2026-13-45T00:00:00"]) | json_values,
})


@FUZZ
@given(body=event | st.fixed_dictionaries({"events": st.lists(event, max_size=5) | json_values}) | json_values)
def test_usage_never_fails_badly(live, body):
    def fill(item):
        if isinstance(item, dict) and item.get("keyId") == "KEYID":
            item["keyId"] = live.key_id
    fill(body)
    if isinstance(body, dict) and isinstance(body.get("events"), list):
        for item in body["events"]:
            fill(item)
    response = live.http.post("/v1/usage", content=json.dumps(body), headers={"Authorization": f"Bearer {live.gateway}"})
    assert_sane(response)


@FUZZ
@given(raw=st.binary(max_size=300), path=st.sampled_from(["/graphql", "/v1/authorize", "/v1/usage"]))
def test_raw_bytes_never_fail_badly(live, raw, path):
    token = live.management if path == "/graphql" else live.gateway
    response = live.http.post(path, content=raw, headers={"Authorization": f"Bearer {token}", "content-type": "application/json"})
    assert_sane(response)


@FUZZ
@given(name=st.sampled_from(operation_names()), variables=st.dictionaries(
    st.sampled_from(["id", "projectId", "input", "filter", "first", "after", "from", "to"]),
    json_values | st.fixed_dictionaries({}, optional={
        "id": st.just("KEYID") | json_values, "projectId": st.just("PROJECT") | json_values, "name": json_values,
        "ttl": json_values, "allTimeLimit": money_like, "recurringLimit": json_values, "rules": json_values,
        "iamRules": json_values, "enabled": json_values,
    }), max_size=4))
def test_client_documents_with_junk_variables_never_fail_badly(live, name, variables):
    text = json.dumps(variables).replace('"KEYID"', json.dumps(live.key_id)).replace('"PROJECT"', json.dumps(live.project_id))
    response = live.http.post("/graphql", content=json.dumps({"query": document(name), "variables": json.loads(text)}),
                              headers={"Authorization": f"Bearer {live.management}", "content-type": "application/json"})
    assert_sane(response)


@FUZZ
@given(query=st.text(max_size=200) | st.sampled_from([
    "{ node(id: 1) { id } }", "{ apiKey(id: null) { id } }", "query { organization { projects { apiKeys(first: -5) { edges { cursor } } } } }",
    "{ __schema { types { name } } }", "mutation { deleteApiKey(input: {id: \"\"}) { deletedId } }",
    "{ organization { projects { apiKeys(after: \"Zm9v\") { edges { cursor } } } } }",
]))
def test_arbitrary_documents_never_fail_badly(live, query):
    response = live.http.post("/graphql", json={"query": query},
                              headers={"Authorization": f"Bearer {live.management}"})
    assert_sane(response)


def test_the_server_is_healthy_after_the_fuzzing(live):
    assert live.http.get("/healthz").json() == {"status": "ok"}
    answer = live.http.post("/v1/authorize", json={"key": live.key, "model": "openai/gpt-4o"},
                            headers={"Authorization": f"Bearer {live.gateway}"}).json()
    assert answer["keyId"] == live.key_id
