"""Envoy's HTTP external authorization (``POST /v1/ext_authz/…``): the authorize decision as status codes.

Envoy forwards each client request's headers (and, with ``with_request_body``, its body) here
under a path prefix; 200 lets the request through, anything else goes back to the client as
it is. So the answer speaks an OpenAI-compatible API's language: 401/403/429 with
``{"error": {"message", "type", "code"}}``. Traefik's forwardAuth and nginx's auth_request use
the same status-code protocol. The decision itself is the data plane's authorize service, so
every refusal code it knows flows through here unchanged.
"""
from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.dataplane.http import body_of
from app.dataplane.parsing import MAX_KEY_LENGTH, MAX_MODEL_LENGTH
from app.dataplane.resets import window_resets_at
from app.domain import decision, ids
from app.domain.timeconv import to_micros
from app.domain.text import has_control_characters
from app.services import authorize as authorize_service
from app.services.authorize import AuthorizeBody
from app.services.callers import Gateway

GATEWAY_TOKEN_HEADER = "x-keyplane-gateway-token"
KEY_ID_HEADER = "x-keyplane-key-id"
PROJECT_ID_HEADER = "x-keyplane-project-id"

# status and OpenAI-style error type per authorize code; a code this table does not know yet is
# refused with 403 (fail closed: a new refusal must never let a request through)
_REFUSALS = {
    decision.NOT_FOUND: (401, "authentication_error"),
    decision.DISABLED: (403, "permission_error"),
    decision.EXPIRED: (403, "permission_error"),
    decision.FORBIDDEN: (403, "permission_error"),
    decision.USAGE_EXCEEDED: (429, "insufficient_quota"),
    decision.PERIOD_USAGE_EXCEEDED: (429, "insufficient_quota"),
    # a request id whose usage is already recorded: the client reused an id, a conflict to fix, not a quota
    "DUPLICATE_REQUEST_ID": (409, "invalid_request_error"),
    "LIMIT_OVERFLOW": (429, "insufficient_quota"),
}
_UNKNOWN_REFUSAL = (403, "permission_error")


def refusal_status(code: str) -> tuple[int, str]:
    """The HTTP status and OpenAI error type a client sees for an authorize refusal code."""
    return _REFUSALS.get(code, _UNKNOWN_REFUSAL)


def openai_error(status: int, error_type: str, code: str, message: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": error_type, "code": code}}, status_code=status,
                        headers=headers)


def api_key_of(request: Request) -> str | None:
    """The client's key: ``Authorization: Bearer kp_…`` (OpenAI SDKs) or ``x-api-key`` (Anthropic's)."""
    authorization = request.headers.get("authorization", "")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get("x-api-key", "").strip() or None


def model_of(body: bytes) -> str | None:
    """The JSON body's ``model``, when Envoy sent a body (``with_request_body``) and it names one."""
    try:
        data = json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    model = data.get("model") if isinstance(data, dict) else None
    if not isinstance(model, str) or not model or len(model) > MAX_MODEL_LENGTH or has_control_characters(model):
        return None
    return model


async def _reset_headers(cache, key: str, now_us: int) -> dict:
    """``Retry-After`` (seconds) and ``x-keyplane-resets-at`` for a recurring window that is full."""
    resets = await window_resets_at(cache, key, now_us)
    if resets is None:
        return {}
    seconds = max(1, -(-(to_micros(resets) - now_us) // 1_000_000))
    return {"retry-after": str(seconds), "x-keyplane-resets-at": resets.isoformat()}


async def check(request: Request, *, tokens, cache, catalogs, clock, metrics, body: bytes) -> Response:
    """One ext_authz check. The gateway token first: without it, 401 whatever the key."""
    caller = await tokens.caller(f"Bearer {request.headers.get(GATEWAY_TOKEN_HEADER, '').removeprefix('Bearer ').strip()}")
    if not isinstance(caller, Gateway):
        return openai_error(401, "authentication_error", "UNAUTHENTICATED",
                            f"the gateway is not authenticated to keyplane: it must add {GATEWAY_TOKEN_HEADER}: kpg_…")
    key = api_key_of(request)
    if key is None or len(key) > MAX_KEY_LENGTH or has_control_characters(key):
        return openai_error(401, "authentication_error", "UNAUTHENTICATED",
                            "an API key is required: Authorization: Bearer kp_… or x-api-key: kp_…")
    model = model_of(body)
    if model is None:
        return openai_error(400, "invalid_request_error", "BAD_REQUEST",
                            'the request body must be a JSON object naming the "model" to use')
    answer = await authorize_service.authorize(cache, catalogs, clock, AuthorizeBody(key, model, None, None, None), 0)
    verdict = answer.decision
    metrics.child(metrics.decisions, verdict.code).inc()
    if verdict.allowed:
        return Response(status_code=200, headers={KEY_ID_HEADER: ids.encode("ApiKey", answer.key_id),
                                                  PROJECT_ID_HEADER: ids.encode("Project", answer.project_id)})
    status, error_type = refusal_status(verdict.code)
    headers = None
    if verdict.code == decision.PERIOD_USAGE_EXCEEDED:
        headers = await _reset_headers(cache, key, to_micros(clock.now()))
    return openai_error(status, error_type, verdict.code, verdict.message, headers)


# Envoy sends the client's own method; the guards read bodies of POST, PUT and PATCH
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def endpoint(dataplane):
    """The route's handler, sharing the data plane's token cache, key cache, catalog cache, clock and metrics."""
    async def ext_authz(request: Request) -> Response:
        with dataplane.metrics.timer("ext_authz"):
            return await check(request, tokens=dataplane.tokens, cache=dataplane.cache, catalogs=dataplane.catalogs,
                               clock=dataplane.clock,
                               metrics=dataplane.metrics, body=await body_of(request))

    return ext_authz
