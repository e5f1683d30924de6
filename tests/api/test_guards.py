"""Hostile and sloppy requests: size limits, bodies that are not JSON objects, document limits."""
import pytest

BIG = b'{"query": "' + b"x" * (1024 * 1024 + 10) + b'"}'


async def test_oversized_bodies_are_refused_before_parsing(http, acme, gateway):
    response = await http.post("/graphql", content=BIG, headers={"Authorization": f"Bearer {acme.token}",
                                                                   "content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    for path in ("/v1/authorize", "/v1/usage"):
        response = await gateway.post(path, BIG)
        assert response.status_code == 413 and response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_streamed_oversized_bodies_are_refused_too(http, gateway):
    async def chunks():
        for _ in range(20):
            yield b"x" * 65536

    response = await http.post("/v1/usage", content=chunks(), headers={"Authorization": f"Bearer {gateway.token}"})
    assert response.status_code == 413


@pytest.mark.parametrize("body", [b"null", b"[]", b'[{"query": "{ organization { id } }"}]', b'"text"', b"123",
                                  b"\xff\xfe\x00", b"{not json", b""])
async def test_graphql_bodies_that_are_not_json_objects_get_400(http, acme, body):
    response = await http.post("/graphql", content=body, headers={"Authorization": f"Bearer {acme.token}",
                                                                    "content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


@pytest.mark.parametrize("path", ["/v1/authorize", "/v1/usage"])
@pytest.mark.parametrize("body", [b"null", b"[]", b'"text"', b"\xff\xfe", b"{not json", b""])
async def test_data_plane_bodies_that_are_not_json_objects_get_400(gateway, path, body):
    response = await gateway.post(path, body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BAD_REQUEST"


async def test_deep_documents_are_refused_before_execution(acme):
    nested = "id"
    for _ in range(8):
        nested = f"project {{ apiKeys {{ edges {{ node {{ {nested} }} }} }} }}"
    response = await acme.gql.raw(f"{{ apiKey(id: \"x\") {{ {nested} }} }}")
    body = response.json()
    assert body["errors"] and "depth" in body["errors"][0]["message"].lower()
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_DEEP"
    assert body.get("data") is None


async def test_too_many_aliases_are_refused(acme):
    aliases = " ".join(f"a{i}: organization {{ id }}" for i in range(40))
    body = (await acme.gql.raw(f"{{ {aliases} }}")).json()
    assert body["errors"] and "alias" in body["errors"][0]["message"].lower()
    assert body["errors"][0]["extensions"]["code"] == "TOO_MANY_ALIASES"


async def test_too_many_tokens_are_refused(acme):
    fields = " ".join("id" for _ in range(6000))
    body = (await acme.gql.raw(f"{{ organization {{ {fields} }} }}")).json()
    assert body["errors"] and "token" in body["errors"][0]["message"].lower()
    assert body["errors"][0]["extensions"]["code"] == "TOO_MANY_TOKENS"


async def test_no_field_suggestions(acme):
    body = (await acme.gql.raw("{ organizaton { id } }")).json()
    assert body["errors"] and "did you mean" not in body["errors"][0]["message"].lower()


async def test_page_sizes_are_capped(acme):
    data = await acme.gql.run("ProjectApiKeys", projectId=acme.project_id, first=10_000)
    assert data["project"]["apiKeys"]["edges"] == []
