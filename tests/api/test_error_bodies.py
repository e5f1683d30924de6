"""Every error keyplane answers outside a GraphQL result has one of the contract's two shapes and
always a code: ``{"error": {code, message}}`` on HTTP endpoints, ``{"errors": [{message,
extensions: {code}}]}`` on /graphql; a 401 always says how to authenticate."""
import httpx
import pytest

from app.server import create_app
from app.settings import Settings

HTTP_ERRORS = [
    ("POST", "/v1/authorize", {}, b"{}", 401, "UNAUTHENTICATED"),
    ("POST", "/v1/usage", {"Authorization": "Bearer kpg_wrong"}, b"{}", 401, "UNAUTHENTICATED"),
    ("POST", "/v1/usage", {"Content-Length": "x"}, b"{}", 400, "BAD_REQUEST"),
    ("POST", "/v1/usage", {}, b"x" * (1024 * 1024 + 1), 413, "PAYLOAD_TOO_LARGE"),
    ("GET", "/metrics", {}, b"", 401, "UNAUTHENTICATED"),
    ("GET", "/v1/export/usage?keyId=x", {}, b"", 401, "UNAUTHENTICATED"),
    ("GET", "/documents/NoSuchDocument", {}, b"", 404, "NOT_FOUND"),
    ("GET", "/no/such/page.js", {}, b"", 404, "NOT_FOUND"),
    ("GET", "/graphiql/no-such-asset.js", {}, b"", 404, "NOT_FOUND"),
    ("DELETE", "/v1/authorize", {}, b"", 405, "METHOD_NOT_ALLOWED"),
]
GRAPHQL_ERRORS = [
    ("POST", "/graphql", {"Content-Type": "application/json"}, b'{"query": "{ organization { name } }"}', 401,
     "UNAUTHENTICATED"),
    ("POST", "/graphql", {}, b"x" * (1024 * 1024 + 1), 413, "PAYLOAD_TOO_LARGE"),
    ("GET", "/graphql", {"Accept": "text/html"}, b"", 404, "NOT_FOUND"),  # GraphiQL turned off
    ("PUT", "/graphql", {}, b"", 405, "METHOD_NOT_ALLOWED"),
]


@pytest.fixture
async def strict_http(database, clock):
    """An app with a metrics token and GraphiQL off, so that both answer with errors."""
    app = create_app(Settings(database_url=database, metrics_token="scrape-token", graphiql=False), clock,
                     manage_database=False)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://keyplane.test") as http:
            yield http


def _challenged(response) -> bool:
    return response.status_code != 401 or response.headers.get("www-authenticate") == "Bearer"


@pytest.mark.parametrize("method,path,headers,body,status,code", HTTP_ERRORS)
async def test_http_errors_have_one_shape_with_a_code(strict_http, method, path, headers, body, status, code):
    response = await strict_http.request(method, path, headers=headers, content=body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"code", "message"} and error["code"] == code and error["message"]
    assert _challenged(response)
    assert response.status_code != 405 or response.headers["allow"] == "POST"


@pytest.mark.parametrize("method,path,headers,body,status,code", GRAPHQL_ERRORS)
async def test_graphql_request_errors_have_graphqls_shape_with_a_code(strict_http, method, path, headers, body,
                                                                      status, code):
    response = await strict_http.request(method, path, headers=headers, content=body)
    assert response.status_code == status, response.text
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == code and error["message"]
    assert _challenged(response)
