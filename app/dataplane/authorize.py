"""/v1/authorize: gather the decision's inputs, decide, and take a hold when asked to.

Without a hold the answer comes from the instance's cache (app/dataplane/cache.py). With
``estimatedCost`` and ``requestId`` the key is locked in one short transaction, the counters
are read fresh under the lock, and the hold is inserted only when the decision allows it, so
concurrent requests on any number of instances cannot over-allocate a limit.
"""
from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

from app.dataplane.cache import KeyCache
from app.dataplane.parsing import AuthorizeBody
from app.domain import decision, ids, secrets
from app.domain.timeconv import to_micros
from app.services import catalog
from app.store import keystate


@dataclass(frozen=True)
class Answer:
    decision: decision.Decision
    key_id: int | None = None
    project_id: int | None = None

    def as_json(self) -> dict:
        d = self.decision
        body: dict = {"allowed": d.allowed, "code": d.code, "message": d.message}
        if self.key_id is not None:
            body["keyId"] = ids.encode("ApiKey", self.key_id)
            body["projectId"] = ids.encode("Project", self.project_id)
        if d.rule_id is not None:
            body["ruleId"] = d.rule_id
        if d.allowed_providers is not None:
            body["allowedProviders"] = list(d.allowed_providers)
        return body


async def authorize(cache: KeyCache, clock, body: AuthorizeBody, hold_seconds: int) -> Answer:
    now_us = to_micros(clock.now())
    request = decision.Request(body.model, body.provider, body.estimated_cost)
    current_catalog = await catalog.current()
    entry = await cache.get(secrets.hash_secret(body.key), now_us)
    if entry is None:
        return Answer(decision.decide(None, decision.Counters(), request, current_catalog, now_us))
    snapshot = entry.snapshot
    if body.estimated_cost is None or body.request_id is None:
        verdict = decision.decide(snapshot, entry.counters(now_us), request, current_catalog, now_us)
        if verdict.allowed:
            cache.touch(snapshot.key_id, now_us)
        return Answer(verdict, snapshot.key_id, snapshot.project_id)
    # a hold: decide on fresh counters under the key's lock
    verdict = decision.decide(snapshot, entry.counters(now_us), request, current_catalog, now_us)
    if not verdict.allowed and verdict.code not in (decision.USAGE_EXCEEDED, decision.PERIOD_USAGE_EXCEEDED):
        return Answer(verdict, snapshot.key_id, snapshot.project_id)
    async with in_transaction() as tx:
        if not await keystate.lock_key(tx, snapshot.key_id, now_us):
            return Answer(decision.decide(None, decision.Counters(), request, current_catalog, now_us))
        await keystate.purge_expired_holds(tx, snapshot.key_id, now_us)
        row = await keystate.key_row_by_id(tx, snapshot.key_id)
        snapshot = keystate.snapshot_from(row, snapshot.rules)
        counters, window_start = await keystate.counters_of(tx, row, now_us)
        if await keystate.has_request(tx, snapshot.key_id, body.request_id, now_us):
            # a retry of a request that already holds budget (or was already settled): not taken twice
            verdict = decision.decide(snapshot, counters, decision.Request(body.model, body.provider), current_catalog, now_us)
            verdict = decision.Decision(True, decision.VALID, "already authorized", allowed_providers=verdict.allowed_providers) \
                if verdict.code in (decision.VALID, decision.USAGE_EXCEEDED, decision.PERIOD_USAGE_EXCEEDED) else verdict
        else:
            verdict = decision.decide(snapshot, counters, request, current_catalog, now_us)
            if verdict.allowed:
                await keystate.take_hold(
                    tx, snapshot.key_id, body.request_id, body.estimated_cost, window_start,
                    now_us + hold_seconds * 1_000_000,
                )
    cache.refresh_counters(snapshot.key_id)
    return Answer(verdict, snapshot.key_id, snapshot.project_id)
