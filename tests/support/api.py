"""Test clients: GraphQL through the named documents, and the data plane."""
from __future__ import annotations

from dataclasses import dataclass

import httpx

from tests.support.documents import document


class GraphQLFailure(AssertionError):
    pass


@dataclass
class GraphQLClient:
    http: httpx.AsyncClient
    token: str

    async def raw(self, query: str, variables: dict | None = None, token: str | None = None) -> httpx.Response:
        return await self.http.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {token or self.token}"},
        )

    async def execute(self, query: str, variables: dict | None = None) -> dict:
        response = await self.raw(query, variables)
        body = response.json()
        if response.status_code != 200 or body.get("errors"):
            raise GraphQLFailure(f"{response.status_code}: {body}")
        return body["data"]

    async def run(self, operation: str, /, **variables) -> dict:
        """Run a named client document from graphql/queries/."""
        return await self.execute(document(operation), variables)

    async def mutate(self, operation: str, /, **input_fields) -> dict:
        """Run a mutation document and return its payload (the single root field)."""
        data = await self.run(operation, input=input_fields)
        (payload,) = data.values()
        return payload


@dataclass
class DataPlaneClient:
    http: httpx.AsyncClient
    token: str

    async def post(self, path: str, body, token: str | None = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token or self.token}"}
        if isinstance(body, (bytes, str)):
            return await self.http.post(path, content=body, headers=headers)
        return await self.http.post(path, json=body, headers=headers)

    async def authorize(self, **body) -> dict:
        response = await self.post("/v1/authorize", body)
        assert response.status_code == 200, response.text
        return response.json()

    async def usage(self, body) -> dict:
        response = await self.post("/v1/usage", body)
        assert response.status_code == 200, response.text
        return response.json()


async def create_key(tenant, **fields) -> dict:
    """createApiKey in the tenant's project (name "k" unless given); fails the test on errors."""
    fields.setdefault("name", "k")
    payload = await tenant.gql.mutate("CreateApiKey", projectId=tenant.project_id, **fields)
    assert payload["errors"] == [], payload["errors"]
    return payload
