"""GraphiQL and introspection serve integrators, and an operator can turn both off."""
import httpx

from app.server import create_app
from app.settings import Settings


async def test_introspection_is_on_by_default(acme):
    body = (await acme.gql.raw("{ __schema { queryType { name } } }")).json()
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_graphiql_and_introspection_can_be_turned_off(database, clock, acme):
    app = create_app(Settings(database_url=database, graphiql=False), clock, manage_database=False)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://keyplane.test") as http:
            page = await http.get("/graphql", headers={"Accept": "text/html"})
            assert page.status_code == 404
            headers = {"Authorization": f"Bearer {acme.token}"}
            body = (await http.post("/graphql", json={"query": "{ __schema { queryType { name } } }"}, headers=headers)).json()
            assert body.get("data") is None and "introspection" in body["errors"][0]["message"].lower()
            ordinary = (await http.post("/graphql", json={"query": "{ organization { name } }"}, headers=headers)).json()
            assert ordinary == {"data": {"organization": {"name": "acme"}}}
