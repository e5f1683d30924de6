"""The baseline for bench/authorize.py: a bare Starlette endpoint that parses the same JSON
and answers a constant decision, on the same uvicorn settings as keyplane."""
import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def authorize(request: Request) -> JSONResponse:
    body = json.loads(await request.body())
    return JSONResponse({"allowed": True, "code": "VALID", "message": "ok", "model": body.get("model")})


app = Starlette(routes=[Route("/v1/authorize", authorize, methods=["POST"])])
