"""The /graphql endpoint: Strawberry's ASGI view behind management-token authentication.

A browser's GET without a query gets GraphiQL (no token needed to load the page); every
operation needs a management token, and gets a typed Context for its organization.
"""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from strawberry.asgi import GraphQL
from cross_web import HTTPException

from app.services import orgs
from app.services.callers import Tenant
from schema.context import Context


def unauthenticated(message: str, status: int = 401, code: str = "UNAUTHENTICATED") -> JSONResponse:
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": code}}]},
        status_code=status,
        headers={"WWW-Authenticate": "Bearer"} if status == 401 else None,
    )


def wants_graphiql(request: Request) -> bool:
    return (
        request.method == "GET"
        and "text/html" in request.headers.get("accept", "")
        and "query" not in request.query_params
    )


class KeyplaneGraphQL(GraphQL):
    def __init__(self, schema, *, tokens, clock, settings) -> None:
        super().__init__(schema, graphql_ide="graphiql" if settings.graphiql else None)
        self.tokens = tokens
        self.clock = clock
        self.settings = settings

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await JSONResponse({"errors": [{"message": "not supported"}]}, status_code=400)(scope, receive, send)
            return
        request = Request(scope, receive)
        if wants_graphiql(request):
            if not self.settings.graphiql:
                await JSONResponse({"errors": [{"message": "GraphiQL is turned off"}]}, status_code=404)(scope, receive, send)
                return
            await (await self.render_graphql_ide(request))(scope, receive, send)
            return
        caller = await self.tokens.caller(request.headers.get("authorization"))
        if caller is None:
            await unauthenticated("a valid management token is required: Authorization: Bearer kpm_…")(scope, receive, send)
            return
        if not isinstance(caller, Tenant):
            await unauthenticated(
                "gateway tokens may only use the data plane (/v1)", status=403, code="FORBIDDEN"
            )(scope, receive, send)
            return
        request.state.tenant = caller
        try:
            response = await self.run(request)
        except HTTPException as exc:  # Strawberry answers these in plain text; clients expect JSON
            response = JSONResponse(
                {"errors": [{"message": exc.reason, "extensions": {"code": "BAD_REQUEST"}}]}, status_code=exc.status_code
            )
        await response(scope, receive, send)

    async def get_context(self, request: Request, response: Response) -> Context:
        tenant: Tenant = request.state.tenant
        context = Context(request=request, response=response, tenant=tenant, clock=self.clock, settings=self.settings)
        context.org = await orgs.get_org(tenant.org_id)
        return context
