"""LiteLLM's ``custom_auth``: every request's key is checked by keyplane's ``/v1/authorize``.

LiteLLM calls ``user_api_key_auth(request, api_key)`` with the bearer token of the request; a
``ProxyException`` raised here reaches the client as an OpenAI-style error with its status.
The request id of the hold is LiteLLM's call id: the plugin picks it (or keeps the client's
``x-litellm-call-id``) and puts it in the request's headers, where LiteLLM takes its call id
from, so the usage callback settles exactly this hold.
"""
from __future__ import annotations

import logging
import time
import uuid

import httpx
from decimal import Decimal

from keyplane_litellm.money import estimate_string
from keyplane_litellm.refusals import refusal
from keyplane_litellm.settings import Settings

log = logging.getLogger("keyplane_litellm")
CALL_ID_HEADER = "x-litellm-call-id"
CATALOG_SECONDS = 60.0
# LiteLLM's provider-specific routes (/openai/…, /azure/…, /anthropic/…) name the provider
ROUTE_PROVIDERS = ("openai", "azure", "anthropic", "vertex_ai", "gemini", "bedrock", "mistral", "cohere")

_settings: Settings | None = None
_client: httpx.AsyncClient | None = None
_catalog: tuple[float, dict] | None = None  # (loaded at, {model: [offer, …]})


def settings() -> Settings:
    global _settings
    if _settings is None:
        _settings = Settings.from_env()
    return _settings


def client() -> httpx.AsyncClient:
    global _client
    if _client is None:
        s = settings()
        _client = httpx.AsyncClient(base_url=s.url, timeout=s.timeout_s,
                                    headers={"Authorization": f"Bearer {s.gateway_token}"})
    return _client


def _proxy_exception(status: int, error_type: str, code: str, message: str, headers: dict | None = None,
                     **details):
    """LiteLLM's own error type: its body's ``code`` is the HTTP status, so keyplane's code (and the
    rule id or reset time) travel in ``provider_specific_fields.keyplane``."""
    from litellm.proxy._types import ProxyException

    return ProxyException(message=message, type=error_type, param=None, code=status, openai_code=code,
                          headers=headers, provider_specific_fields={"keyplane": {"code": code, **details}})


def provider_of(path: str) -> str | None:
    """The provider a route names. ``/openai/deployments/…`` is the Azure-style API for every model, not a provider."""
    if path.startswith("/openai/deployments/"):
        return None
    first = path.strip("/").split("/", 1)[0]
    return first if first in ROUTE_PROVIDERS else None


async def _catalog_offers(model: str) -> list[dict]:
    global _catalog
    if _catalog is None or time.monotonic() - _catalog[0] > CATALOG_SECONDS:
        response = await client().get("/v1/catalog")
        response.raise_for_status()
        _catalog = (time.monotonic(), {m["id"]: m["offers"] for m in response.json()["models"]})
    return _catalog[1].get(model, [])


async def estimate(body: dict, model: str, provider: str | None) -> str | None:
    """The most the call can cost in output: its max_tokens at the model's output price (the
    named provider's, else the dearest offer's). None for a model the catalog does not price."""
    offers = [o for o in await _catalog_offers(model) if provider is None or o["provider"] == provider]
    if not offers:
        return None
    max_tokens = body.get("max_completion_tokens") or body.get("max_tokens") or settings().default_max_tokens
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens <= 0:
        max_tokens = settings().default_max_tokens
    price = max((o["outputPricePerMillion"] for o in offers), key=Decimal)
    return estimate_string(max_tokens, str(price))


def _call_id(request) -> str:
    """The client's call id when it sent one, else a new one, made visible to LiteLLM."""
    given = request.headers.get(CALL_ID_HEADER)
    if given:
        return given
    call_id = str(uuid.uuid4())
    request.scope["headers"] = [*request.scope.get("headers", []), (CALL_ID_HEADER.encode(), call_id.encode())]
    if hasattr(request, "_headers"):
        del request._headers  # Starlette caches the parsed headers: let the next read see the call id
    return call_id


async def _body(request) -> dict:
    from litellm.proxy.common_utils.http_parsing_utils import _read_request_body

    try:
        body = await _read_request_body(request=request)
    except Exception:
        return {}
    return body if isinstance(body, dict) else {}


async def user_api_key_auth(request, api_key: str):
    """LiteLLM's hook: the UserAPIKeyAuth of an allowed request, or a ProxyException."""
    from litellm.proxy._types import UserAPIKeyAuth

    if not api_key:
        raise _proxy_exception(401, "authentication_error", "UNAUTHENTICATED",
                               "an API key is required: Authorization: Bearer kp_…")
    body = await _body(request)
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise _proxy_exception(400, "invalid_request_error", "BAD_REQUEST",
                               'the request must name its "model" (a keyplane model id such as openai/gpt-4o)')
    provider = provider_of(request.url.path)
    call_id = _call_id(request)
    question = {"key": api_key, "model": model, "requestId": call_id}
    if provider:
        question["provider"] = provider
    try:
        if settings().estimate_costs:
            estimated = await estimate(body, model, provider)
            if estimated is not None:
                question["estimatedCost"] = estimated
        response = await client().post("/v1/authorize", json=question)
    except httpx.HTTPError as exc:
        return _unreachable(f"{type(exc).__name__}", call_id)
    if response.status_code >= 500:
        return _unreachable(f"HTTP {response.status_code}", call_id)
    if response.status_code in (401, 403):
        # keyplane refused the proxy's gateway token: the proxy's configuration, not the client's request
        log.error("keyplane refused KEYPLANE_GATEWAY_TOKEN (HTTP %d): set a valid gateway token (kpg_…)",
                  response.status_code)
        return _unreachable(f"gateway token refused (HTTP {response.status_code})", call_id)
    try:
        answer = response.json()
    except ValueError:
        return _unreachable("an answer that is not JSON", call_id)
    if response.status_code != 200:
        error = answer.get("error", {})
        raise _proxy_exception(400, "invalid_request_error", error.get("code", "BAD_REQUEST"),
                               error.get("message", "keyplane refused the request"))
    if not answer.get("allowed"):
        status, error_type = refusal(answer.get("code", ""))
        message = answer.get("message", "refused")
        if answer.get("ruleId"):
            message = f"{message} (IAM rule {answer['ruleId']})"
        headers, details = None, {}
        if answer.get("ruleId"):
            details["ruleId"] = answer["ruleId"]
        if answer.get("resetsAt"):
            message = f"{message}; the limit resets at {answer['resetsAt']}"
            headers = {"x-keyplane-resets-at": answer["resetsAt"]}
            details["resetsAt"] = answer["resetsAt"]
        raise _proxy_exception(status, error_type, answer.get("code", "REFUSED"), message, headers, **details)
    return UserAPIKeyAuth(
        api_key=answer["keyId"], key_alias=answer["keyId"], user_id=answer.get("projectId"),
        metadata={"keyplane_key_id": answer["keyId"], "keyplane_project_id": answer.get("projectId"),
                  "keyplane_request_id": call_id},
    )


def _unreachable(reason: str, call_id: str):
    """keyplane did not answer: refuse (503) by default; with KEYPLANE_FAIL_OPEN let it through unmetered."""
    if settings().fail_open:
        from litellm.proxy._types import UserAPIKeyAuth

        log.warning("keyplane unreachable (%s): letting call %s through unmetered (KEYPLANE_FAIL_OPEN)", reason, call_id)
        return UserAPIKeyAuth(api_key="keyplane-unreachable", metadata={})
    log.warning("keyplane unreachable (%s): refusing call %s", reason, call_id)
    raise _proxy_exception(503, "service_unavailable", "UNAVAILABLE",
                           "the key service is unavailable; retry shortly")
