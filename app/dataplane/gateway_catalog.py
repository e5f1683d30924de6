"""``GET /v1/catalog``: the model catalog for gateways (a gateway token, not a management one).

A gateway that sends ``estimatedCost`` (the LiteLLM plugin, from max_tokens) needs the
catalog's prices; GraphQL is for management tokens only. Same JSON as ``keyplane catalog export``.
"""
from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from app.domain.catalog import catalog_to_json


def endpoint(dataplane):
    async def gateway_catalog(request: Request) -> JSONResponse:
        refused = await dataplane._refused(request.headers.get("authorization"))  # the data plane's token check
        if refused is not None:
            return refused.response()
        return JSONResponse(catalog_to_json(await dataplane.catalogs.current()))

    return gateway_catalog
