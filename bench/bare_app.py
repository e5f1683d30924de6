"""The baseline for the benchmarks: bare Starlette endpoints that parse the same JSON as
/v1/authorize and /v1/usage and answer constants, on the same uvicorn settings as keyplane."""
import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def authorize(request: Request) -> JSONResponse:
    body = json.loads(await request.body())
    return JSONResponse({"allowed": True, "code": "VALID", "message": "ok", "model": body.get("model")})


async def usage(request: Request) -> JSONResponse:
    body = json.loads(await request.body())
    return JSONResponse({"results": [{"requestId": body.get("requestId"), "recorded": True}]})


app = Starlette(routes=[Route("/v1/authorize", authorize, methods=["POST"]),
                        Route("/v1/usage", usage, methods=["POST"])])
