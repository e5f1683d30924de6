"""The /graphql endpoint: GraphQL over HTTP in front of the Strawberry schema, behind
management-token authentication.

A browser's GET without a query gets GraphiQL (served from keyplane's own files, no token
needed to load the page); every operation needs a management token and gets a typed Context
for its organization. The HTTP rules (media types, methods, parameters, which operation runs)
are in ``app/graphql_request.py``; automatic persisted queries in ``app/persisted_queries.py``.
"""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from strawberry.exceptions import MissingQueryError
from strawberry.http import process_result
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from app import graphiql
from app.graphql_request import (HttpError, RequestError, check_operation, mutation_over_get, read_params,
                                 response_media_type, status_for)
from app.http_errors import graphql_error_body, graphql_error_response
from app.persisted_queries import PersistedQueries
from app.services import orgs
from app.services.callers import Tenant
from app.services.webhook_targets import system_resolver
from schema.context import Context


def wants_graphiql(request: Request) -> bool:
    return (
        request.method == "GET"
        and "text/html" in request.headers.get("accept", "")
        and "query" not in request.query_params
        and "extensions" not in request.query_params
    )


class GraphQLResponse(JSONResponse):
    def __init__(self, content: dict, status_code: int, media_type: str, headers: dict | None = None) -> None:
        super().__init__(content, status_code=status_code, headers=headers, media_type=f"{media_type}; charset=utf-8")


def _is_request_error(result) -> bool:
    """Nothing executed: no data, and no error belongs to a field (parse, validation, variables)."""
    return result.data is None and bool(result.errors) and all(error.path is None for error in result.errors)


class KeyplaneGraphQL:
    def __init__(self, schema, *, tokens, clock, settings, catalogs, resolver=None) -> None:
        self.schema = schema
        self.catalogs = catalogs  # the app's CatalogCache, for the resolvers (Context.catalogs)
        self.resolver = resolver or system_resolver
        self.tokens = tokens
        self.clock = clock
        self.settings = settings
        self.persisted = PersistedQueries()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await graphql_error_response(400, "BAD_REQUEST", "only HTTP requests are served here")(scope, receive, send)
            return
        request = Request(scope, receive)
        if wants_graphiql(request):
            await graphiql.page(self.settings)(scope, receive, send)
            return
        await (await self.answer(request))(scope, receive, send)

    async def answer(self, request: Request) -> Response:
        caller = await self.tokens.caller(request.headers.get("authorization"))
        if caller is None:
            return graphql_error_response(401, "UNAUTHENTICATED", "a valid management token is required: Authorization: Bearer kpm_…")
        if not isinstance(caller, Tenant):
            return graphql_error_response(403, "FORBIDDEN", "gateway tokens may only use the data plane (/v1)")
        media_type = response_media_type(request.headers.get("accept"))
        method = "GET" if request.method == "HEAD" else request.method  # Starlette routes HEAD with GET
        try:
            body = request.scope.get("keyplane.body")
            if body is None and method == "POST":
                body = await request.body()
            params = read_params(method, request.query_params, request.headers.get("content-type"), body or b"")
            query = self.persisted.resolve(caller.org_id, params.query, params.extensions)
            if not isinstance(query, str):
                raise HttpError(400, "query must be a string")
            check_operation(query, params.operation_name, method)
            return await self.execute(request, method, caller, query, params, media_type)
        except HttpError as exc:
            return GraphQLResponse(graphql_error_body(exc.code, exc.message), exc.status, media_type, exc.headers)
        except RequestError as exc:
            return GraphQLResponse(graphql_error_body(exc.code, exc.message), status_for(media_type, request_error=True), media_type)

    async def execute(self, request: Request, method: str, tenant: Tenant, query: str, params, media_type: str) -> Response:
        response = Response()
        context = Context(request=request, response=response, tenant=tenant, clock=self.clock, settings=self.settings,
                          catalogs=self.catalogs, resolver=self.resolver)
        context.org = await orgs.get_org(tenant.org_id)
        allowed = {OperationType.QUERY} if method == "GET" else {OperationType.QUERY, OperationType.MUTATION}
        try:
            result = await self.schema.execute(
                query, variable_values=params.variables, context_value=context,
                operation_name=params.operation_name, allowed_operation_types=allowed,
                operation_extensions=params.extensions,
            )
        except MissingQueryError:
            raise HttpError(400, "no GraphQL query found") from None
        except InvalidOperationTypeError:  # a GET running a mutation that the pre-check could not see
            raise mutation_over_get() from None
        except CannotGetOperationTypeError as exc:  # no operation of that name
            raise RequestError("BAD_REQUEST", exc.as_http_error_reason()) from None
        request_error = _is_request_error(result)
        content = process_result(result)
        if request_error:
            content.pop("data", None)  # a request error executed nothing: the answer has no data entry
        extra = {k: v for k, v in response.headers.items() if k not in ("content-length", "content-type")}  # set by resolvers
        return GraphQLResponse(content, status_for(media_type, request_error), media_type, extra)
