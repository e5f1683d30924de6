"""GraphQL over HTTP as the spec and real clients expect it: media types and status codes,
GET and POST, which operation runs, automatic persisted queries, CORS.

The graphql-http audit itself runs against a live server in tests/graphql_http/."""
from __future__ import annotations

import hashlib
import json

import httpx
import pytest

from app.graphql_request import GRAPHQL_RESPONSE, JSON, RequestError, response_media_type
from app.persisted_queries import PersistedQueries
from app.server import create_app
from app.settings import Settings

ORG_QUERY = "{ organization { name } }"
CREATE_PROJECT = 'mutation { createProject(input: {name: "via-get"}) { project { name } errors { code } } }'


def auth(tenant, **headers) -> dict:
    return {"Authorization": f"Bearer {tenant.token}", **headers}


async def project_names(tenant) -> list[str]:
    data = await tenant.gql.execute("{ organization { projects { name } } }")
    return sorted(p["name"] for p in data["organization"]["projects"])


# --- media types and status codes -------------------------------------------------------------

@pytest.mark.parametrize("accept", ["application/graphql-response+json", "application/graphql-response+json, application/json;q=0.9",
                                    "application/json;q=0.5, application/graphql-response+json"])
async def test_graphql_response_json_is_honoured(http, acme, accept):
    response = await http.post("/graphql", json={"query": ORG_QUERY}, headers=auth(acme, accept=accept))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert response.json() == {"data": {"organization": {"name": "acme"}}}


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", "application/*", "text/plain",
                                    "application/graphql-response+json;q=0, application/json"])
async def test_application_json_is_the_default(http, acme, accept):
    headers = auth(acme) if accept is None else auth(acme, accept=accept)
    response = await http.post("/graphql", json={"query": ORG_QUERY}, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("query, variables", [
    ("{ organization { name ", None),                                 # does not parse
    ("{ organization { noSuchField } }", None),                       # does not validate
    ("query($on: Boolean!) { organization { name @include(if: $on) } }", {"on": "ten"}),  # variables do not coerce
])
async def test_request_errors_are_400_without_data_in_graphql_response_json(http, acme, query, variables):
    response = await http.post("/graphql", json={"query": query, "variables": variables},
                               headers=auth(acme, accept=GRAPHQL_RESPONSE))
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    body = response.json()
    assert "data" not in body and body["errors"][0]["message"]
    # the same request as legacy application/json: 200, and still no data entry
    legacy = await http.post("/graphql", json={"query": query, "variables": variables}, headers=auth(acme, accept=JSON))
    assert legacy.status_code == 200 and "data" not in legacy.json() and legacy.json()["errors"]


async def test_field_errors_keep_200_and_data(http, acme):
    response = await http.post("/graphql", json={"query": '{ organization { name } apiKey(id: "nope") { id } }'},
                               headers=auth(acme, accept=GRAPHQL_RESPONSE))
    assert response.status_code == 200
    assert response.json()["data"]["organization"] == {"name": "acme"}


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
async def test_posts_that_are_not_json_get_415(http, acme, content_type):
    headers = auth(acme) if content_type is None else auth(acme, **{"content-type": content_type})
    response = await http.post("/graphql", content=json.dumps({"query": CREATE_PROJECT}).encode(), headers=headers)
    assert response.status_code == 415
    assert response.json()["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert await project_names(acme) == ["Default"]


@pytest.mark.parametrize("body", [{"notquery": ORG_QUERY}, {"query": 1}, {"query": ["x"]}, {"query": ORG_QUERY, "variables": "x"},
                                  {"query": ORG_QUERY, "operationName": 0}, {"query": ORG_QUERY, "extensions": []}])
async def test_invalid_parameters_get_400(http, acme, body):
    response = await http.post("/graphql", json=body, headers=auth(acme, accept=GRAPHQL_RESPONSE))
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


# --- GET and POST --------------------------------------------------------------------------------

async def test_queries_run_over_get(http, acme):
    response = await http.get("/graphql", params={"query": "query($on: Boolean!) { organization { name @include(if: $on) } }",
                                                  "variables": json.dumps({"on": True})}, headers=auth(acme))
    assert response.status_code == 200
    assert response.json() == {"data": {"organization": {"name": "acme"}}}


@pytest.mark.parametrize("params", [
    {"query": CREATE_PROJECT},
    {"query": "query Read { organization { name } } " + CREATE_PROJECT.replace("mutation", "mutation Make"),
     "operationName": "Make"},
])
async def test_mutations_over_get_are_405_and_change_nothing(http, acme, params):
    for accept in (JSON, GRAPHQL_RESPONSE):
        response = await http.get("/graphql", params=params, headers=auth(acme, accept=accept))
        assert response.status_code == 405
        assert response.headers["allow"] == "POST"
        assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    assert await project_names(acme) == ["Default"]
    # the same mutation over POST works
    posted = await http.post("/graphql", json=params, headers=auth(acme))
    assert posted.json()["data"]["createProject"]["project"]["name"] == "via-get"


SEVERAL = ('mutation Make { createProject(input: {name: "second"}) { project { name } } } '
           'query Read { organization { name } }')


async def test_several_operations_without_operation_name_are_an_error(http, acme):
    for accept, status in ((GRAPHQL_RESPONSE, 400), (JSON, 200)):
        response = await http.post("/graphql", json={"query": SEVERAL}, headers=auth(acme, accept=accept))
        assert response.status_code == status
        body = response.json()
        assert "data" not in body
        assert body["errors"][0]["extensions"]["code"] == "OPERATION_NAME_REQUIRED"
    assert await project_names(acme) == ["Default"]  # the first operation did not run
    chosen = await http.post("/graphql", json={"query": SEVERAL, "operationName": "Read"}, headers=auth(acme))
    assert chosen.json() == {"data": {"organization": {"name": "acme"}}}
    unknown = await http.post("/graphql", json={"query": SEVERAL, "operationName": "Nope"},
                              headers=auth(acme, accept=GRAPHQL_RESPONSE))
    assert unknown.status_code == 400 and "data" not in unknown.json()
    assert await project_names(acme) == ["Default"]


# --- automatic persisted queries -----------------------------------------------------------------

def persisted(query: str) -> dict:
    return {"persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(query.encode()).hexdigest()}}


async def test_persisted_queries_as_apollo_sends_them(http, acme):
    query = "query Named { organization { name } }"
    # first the hash alone: unknown, answered the way Apollo's PersistedQueryLink expects
    first = await http.post("/graphql", json={"extensions": persisted(query)}, headers=auth(acme))
    assert first.status_code == 200
    error = first.json()["errors"][0]
    assert error["message"] == "PersistedQueryNotFound"
    assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    # then the document with its hash: it runs and is remembered
    second = await http.post("/graphql", json={"query": query, "extensions": persisted(query)}, headers=auth(acme))
    assert second.json() == {"data": {"organization": {"name": "acme"}}}
    # from then on the hash alone is enough, over POST and over GET
    third = await http.post("/graphql", json={"extensions": persisted(query)}, headers=auth(acme))
    assert third.json() == {"data": {"organization": {"name": "acme"}}}
    fourth = await http.get("/graphql", params={"extensions": json.dumps(persisted(query))}, headers=auth(acme))
    assert fourth.status_code == 200 and fourth.json() == {"data": {"organization": {"name": "acme"}}}


async def test_unknown_hash_over_get_with_graphql_response_json(http, acme):
    response = await http.get("/graphql", params={"extensions": json.dumps(persisted("{ organization { id } }"))},
                              headers=auth(acme, accept=GRAPHQL_RESPONSE))
    assert response.status_code == 400
    assert "data" not in response.json()
    assert response.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_a_hash_that_does_not_match_its_query_is_refused(http, acme):
    response = await http.post("/graphql", json={"query": CREATE_PROJECT, "extensions": persisted(ORG_QUERY)},
                               headers=auth(acme))
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert await project_names(acme) == ["Default"]
    # and the hash was not bound to that document
    again = await http.post("/graphql", json={"extensions": persisted(ORG_QUERY)}, headers=auth(acme))
    assert again.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


@pytest.mark.parametrize("extensions", [{"persistedQuery": {"version": 2, "sha256Hash": "0" * 64}},
                                        {"persistedQuery": {"version": 1, "sha256Hash": "xyz"}},
                                        {"persistedQuery": "abc"}])
async def test_malformed_persisted_queries_are_400(http, acme, extensions):
    response = await http.post("/graphql", json={"extensions": extensions}, headers=auth(acme))
    assert response.status_code == 400


async def test_persisted_documents_are_kept_per_organization(http, acme, rival):
    query = "{ organization { name } }"
    await http.post("/graphql", json={"query": query, "extensions": persisted(query)}, headers=auth(acme))
    other = await http.post("/graphql", json={"extensions": persisted(query)}, headers=auth(rival))
    assert other.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


def test_the_persisted_map_is_bounded_and_keeps_what_is_used():
    store = PersistedQueries(max_documents=3)
    documents = [f"{{ a{i}: organization {{ id }} }}" for i in range(5)]
    for document in documents[:3]:
        store.resolve(1, document, persisted(document))
    store.resolve(1, None, persisted(documents[0]))  # used again: kept
    for document in documents[3:]:
        store.resolve(1, document, persisted(document))
    assert store.resolve(1, None, persisted(documents[0])) == documents[0]
    for evicted in documents[1:3]:
        with pytest.raises(RequestError, match="PersistedQueryNotFound"):
            store.resolve(1, None, persisted(evicted))
    assert len(store._documents) == 3


# --- Accept parsing --------------------------------------------------------------------------------

@pytest.mark.parametrize("accept, expected", [
    (None, JSON), ("", JSON), ("*/*", JSON), ("text/html, */*;q=0.8", JSON),
    ("application/graphql-response+json, application/json, multipart/mixed", GRAPHQL_RESPONSE),
    ("application/json, application/graphql-response+json", JSON),
    ("application/json;q=0.9, application/graphql-response+json", GRAPHQL_RESPONSE),
    ("Application/GraphQL-Response+JSON", GRAPHQL_RESPONSE), ("application/json;q=bad, */*", JSON),
])
def test_accept_negotiation(accept, expected):
    assert response_media_type(accept) == expected


# --- CORS ------------------------------------------------------------------------------------------

ALLOWED = "https://dash.example.com"


async def test_cors_preflight_allows_only_configured_origins(database, clock, acme):
    app = create_app(Settings(database_url=database, cors_origins=(ALLOWED,)), clock, manage_database=False)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://keyplane.test") as http:
            preflight = await http.options("/graphql", headers={
                "Origin": ALLOWED, "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type"})
            assert preflight.status_code == 200
            assert preflight.headers["access-control-allow-origin"] == ALLOWED
            allowed_headers = preflight.headers["access-control-allow-headers"].lower()
            assert "authorization" in allowed_headers and "content-type" in allowed_headers
            assert "POST" in preflight.headers["access-control-allow-methods"]
            actual = await http.post("/graphql", json={"query": ORG_QUERY}, headers=auth(acme, Origin=ALLOWED))
            assert actual.headers["access-control-allow-origin"] == ALLOWED
            assert actual.json() == {"data": {"organization": {"name": "acme"}}}

            foreign = await http.options("/graphql", headers={
                "Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization"})
            assert "access-control-allow-origin" not in foreign.headers
            stray = await http.post("/graphql", json={"query": ORG_QUERY}, headers=auth(acme, Origin="https://evil.example"))
            assert "access-control-allow-origin" not in stray.headers


async def test_no_cors_by_default(http, acme):
    preflight = await http.options("/graphql", headers={"Origin": ALLOWED, "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in preflight.headers
    actual = await http.post("/graphql", json={"query": ORG_QUERY}, headers=auth(acme, Origin=ALLOWED))
    assert "access-control-allow-origin" not in actual.headers


@pytest.mark.parametrize("raw, expected", [
    ("", ()), (" https://a.example.com , http://localhost:3000/ ", ("https://a.example.com", "http://localhost:3000")),
])
def test_cors_origins_setting(raw, expected):
    assert Settings.from_env({"KEYPLANE_CORS_ORIGINS": raw}).cors_origins == expected


@pytest.mark.parametrize("raw", ["*", "dash.example.com", "https://a.example.com/path", "ftp://a.example.com"])
def test_cors_origins_setting_refuses_what_is_not_an_origin(raw):
    with pytest.raises(SystemExit, match="KEYPLANE_CORS_ORIGINS"):
        Settings.from_env({"KEYPLANE_CORS_ORIGINS": raw})
