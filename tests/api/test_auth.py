"""Bearer tokens on both surfaces: pinned 401 bodies, kinds, revocation."""
import pytest

from app.services import tokens

UNAUTHENTICATED_GRAPHQL = {"code": "UNAUTHENTICATED"}


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Basic abc", "Bearer kpm_nope", "Bearer garbage",
                                    "bearer kpm_" + "x" * 500])
async def test_graphql_needs_a_valid_management_token(http, acme, header):
    headers = {} if header is None else {"Authorization": header}
    response = await http.post("/graphql", json={"query": "{ organization { id } }"}, headers=headers)
    assert response.status_code == 401
    body = response.json()
    assert list(body) == ["errors"]
    assert body["errors"][0]["extensions"] == UNAUTHENTICATED_GRAPHQL
    assert body["errors"][0]["message"]


@pytest.mark.parametrize("path", ["/v1/authorize", "/v1/usage"])
@pytest.mark.parametrize("header", [None, "Bearer kpg_nope", "Token x"])
async def test_data_plane_needs_a_valid_gateway_token(http, path, header):
    headers = {} if header is None else {"Authorization": header}
    response = await http.post(path, json={"key": "kp_x", "model": "m"}, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHENTICATED"


async def test_token_kinds_stay_on_their_surface(http, acme, gateway):
    response = await http.post("/graphql", json={"query": "{ organization { id } }"},
                               headers={"Authorization": f"Bearer {gateway.token}"})
    assert response.status_code == 403 and response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    response = await http.post("/v1/authorize", json={"key": "kp_x", "model": "m"},
                               headers={"Authorization": f"Bearer {acme.token}"})
    assert response.status_code == 403 and response.json()["error"]["code"] == "FORBIDDEN"


async def test_a_revoked_token_is_refused_on_the_next_request(http, acme, gateway, clock):
    assert (await acme.gql.raw("{ organization { id } }")).status_code == 200
    assert (await gateway.post("/v1/authorize", {"key": "kp_x", "model": "m"})).status_code == 200
    await tokens.revoke(clock, acme.token)
    listed = [t for t in await tokens.list_tokens() if t.revoked_at is not None]
    await tokens.revoke(clock, str((await tokens.list_tokens())[-1].id))  # the gateway token, by id
    assert len(listed) == 1
    assert (await acme.gql.raw("{ organization { id } }")).status_code == 401
    assert (await gateway.post("/v1/authorize", {"key": "kp_x", "model": "m"})).status_code == 401


async def test_graphiql_page_needs_no_token(http):
    response = await http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200 and "graphiql" in response.text.lower()


async def test_queries_over_get_need_a_token_too(http, acme):
    response = await http.get("/graphql", params={"query": "{ organization { name } }"})
    assert response.status_code == 401
    response = await http.get("/graphql", params={"query": "{ organization { name } }"},
                              headers={"Authorization": f"Bearer {acme.token}"})
    assert response.json() == {"data": {"organization": {"name": "acme"}}}


async def test_tokens_are_stored_as_hashes(acme, gateway):
    for token in await tokens.list_tokens():
        assert token.token_hash not in (acme.token, gateway.token)
        assert len(token.token_hash) == 64
    stored = {str(v) for t in await tokens.list_tokens() for v in t.__dict__.values()}
    assert acme.token not in stored and gateway.token not in stored
