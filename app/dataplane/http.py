"""HTTP adapter of the data plane: gateway-token auth, JSON in and out, typed errors."""
from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse

from app.dataplane.group_commit import GroupCommit
from app.dataplane.resets import window_resets_at
from app.dataplane.parsing import BadRequest, parse_authorize, parse_usage
from app.domain import ids
from app.domain.decision import PERIOD_USAGE_EXCEEDED
from app.domain.timeconv import to_micros
from app.domain.usage import EventError
from app.http_errors import Reply, error_reply
from app.services import authorize as authorize_service
from app.services import data_writes
from app.services.callers import Gateway

log = logging.getLogger("keyplane.dataplane")


async def body_of(request: Request) -> bytes:
    """The body the request guards already read (app/guards.py), else read it now."""
    body = request.scope.get("keyplane.body")
    return body if body is not None else await request.body()


def answer_body(answer: authorize_service.Answer) -> dict:
    """The JSON body of an /v1/authorize answer (docs/contract.md)."""
    d = answer.decision
    body: dict = {"allowed": d.allowed, "code": d.code, "message": d.message}
    if answer.key_id is not None:
        body["keyId"] = ids.encode("ApiKey", answer.key_id)
        body["projectId"] = ids.encode("Project", answer.project_id)
    if d.rule_id is not None:
        body["ruleId"] = d.rule_id
    if d.allowed_providers is not None:
        body["allowedProviders"] = list(d.allowed_providers)
    return body


class DataPlane:
    def __init__(self, *, settings, clock, tokens, cache, catalogs, metrics) -> None:
        self.settings = settings
        self.clock = clock
        self.tokens = tokens
        self.cache = cache
        self.catalogs = catalogs  # the app's CatalogCache
        self.metrics = metrics
        # concurrent /v1/usage requests and authorizations that take holds share transactions
        # (app/dataplane/group_commit.py, app/services/data_writes.py)
        self.writes: GroupCommit = GroupCommit(
            lambda items: data_writes.write_group(self.clock, self.cache, settings.usage_retention_days, items),
            on_group=metrics.group_items.observe)

    async def _refused(self, authorization: str | None) -> Reply | None:
        caller = await self.tokens.caller(authorization)
        if caller is None:
            return error_reply(401, "UNAUTHENTICATED", "a valid gateway token is required: Authorization: Bearer kpg_…")
        if not isinstance(caller, Gateway):
            return error_reply(403, "FORBIDDEN", "management tokens may not use the data plane: use a gateway token")
        return None

    async def authorize_reply(self, authorization: str | None, raw: bytes) -> Reply:
        """/v1/authorize from the request's Authorization header and body."""
        with self.metrics.timer("authorize"):
            refused = await self._refused(authorization)
            if refused is not None:
                return refused
            try:
                body = parse_authorize(raw)
            except BadRequest as exc:
                return error_reply(exc.status, exc.code, exc.message)
            answer = await authorize_service.authorize(self.cache, self.catalogs, self.clock, body,
                                                       self.settings.hold_seconds, self.writes.submit)
            self.metrics.child(self.metrics.decisions, answer.decision.code).inc()
            reply = answer_body(answer)
            if answer.decision.code == PERIOD_USAGE_EXCEEDED:  # the gateway can tell its client when to retry
                resets = await window_resets_at(self.cache, body.key, to_micros(self.clock.now()))
                if resets is not None:
                    reply["resetsAt"] = resets.isoformat()
            return Reply(200, reply)

    async def usage_reply(self, authorization: str | None, raw: bytes) -> Reply:
        """/v1/usage from the request's Authorization header and body."""
        with self.metrics.timer("usage"):
            return await self._usage(authorization, raw)

    async def _usage(self, authorization: str | None, raw: bytes) -> Reply:
        refused = await self._refused(authorization)
        if refused is not None:
            return refused
        try:
            events = parse_usage(raw)
        except BadRequest as exc:
            self.metrics.child(self.metrics.usage_events, "bad_request").inc()
            return error_reply(exc.status, exc.code, exc.message)
        valid = [e for e in events if not isinstance(e, EventError)]
        recorded = iter(await self.writes.submit(valid) if valid else [])
        results = []
        for event in events:
            if isinstance(event, EventError):
                results.append({"requestId": event.request_id, "recorded": False,
                                "error": {"code": event.code, "message": event.message}})
                continue
            result = next(recorded)
            item = {"requestId": result.request_id, "recorded": result.recorded}
            if result.error_code:
                item["error"] = {"code": result.error_code, "message": result.error_message}
            results.append(item)
        for item in results:
            outcome = "recorded" if item["recorded"] else ("error" if "error" in item else "duplicate")
            self.metrics.child(self.metrics.usage_events, outcome).inc()
        return Reply(200, {"results": results})

    # the routed endpoints (app/dataplane/hot_path.py answers most requests before the router)
    async def authorize(self, request: Request) -> JSONResponse:
        return (await self.authorize_reply(request.headers.get("authorization"), await body_of(request))).response()

    async def usage(self, request: Request) -> JSONResponse:
        return (await self.usage_reply(request.headers.get("authorization"), await body_of(request))).response()
