"""/v1/authorize: gather the decision's inputs, decide, and take a hold when asked to.

Without a hold the answer comes from the instance's cache (app/dataplane/cache.py). With
``estimatedCost`` and ``requestId`` on a key that has a limit, the key is locked in one short
transaction, the counters are read fresh under the lock, and the hold is inserted only when
the decision allows it, so concurrent requests on any number of instances cannot
over-allocate a limit. A hold is announced on the change feed: other instances answer soft
checks (no estimate) from their caches, and must count it.
"""
from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

from app.dataplane.cache import KeyCache
from app.dataplane.parsing import AuthorizeBody
from app.domain import decision, ids, secrets
from app.domain.timeconv import to_micros
from app.services import catalog
from app.store import changes, keystate


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


LIMIT_CODES = (decision.USAGE_EXCEEDED, decision.PERIOD_USAGE_EXCEEDED)


async def authorize(cache: KeyCache, clock, body: AuthorizeBody, hold_seconds: int) -> Answer:
    now_us = to_micros(clock.now())
    request = decision.Request(body.model, body.provider, body.estimated_cost)
    current_catalog = await catalog.current()
    entry = await cache.get(secrets.hash_secret(body.key), now_us)
    if entry is None:
        return Answer(decision.decide(None, decision.Counters(), request, current_catalog, now_us))
    snapshot = entry.snapshot
    verdict = decision.decide(snapshot, entry.counters(now_us), request, current_catalog, now_us,
                              entry.iam_verdict(current_catalog, body.model, body.provider))
    unlimited = snapshot.all_time_limit is None and snapshot.recurring_amount is None
    if body.estimated_cost is None or body.request_id is None or unlimited:
        # nothing to hold (or nothing to hold against): the cache answers, no database round trip
        if verdict.allowed:
            cache.touch(snapshot.key_id, now_us)
        return Answer(verdict, snapshot.key_id, snapshot.project_id)
    if not verdict.allowed and verdict.code not in LIMIT_CODES:
        # status and IAM refusals do not depend on counters: no need to lock anything
        return Answer(verdict, snapshot.key_id, snapshot.project_id)
    return await _authorize_with_hold(cache, snapshot, body, request, current_catalog, now_us, hold_seconds)


async def _authorize_with_hold(cache: KeyCache, snapshot, body, request, current_catalog, now_us: int,
                               hold_seconds: int) -> Answer:
    """Decide on fresh counters under the key's lock, and hold the estimate when allowed.

    A request id that already holds budget, or whose usage is already recorded, is not held
    twice: a retried authorization gets the same answer without reserving more.
    """
    held = False
    async with in_transaction() as tx:
        row = await keystate.lock_and_read(tx, snapshot.key_id)
        if row is None:
            return Answer(decision.decide(None, decision.Counters(), request, current_catalog, now_us))
        snapshot = keystate.snapshot_from(row, snapshot.rules)
        counters, window_start, seen = await keystate.counters_under_lock(tx, row, now_us, body.request_id)
        if seen:
            # its budget is already counted: only status and IAM can refuse it now
            verdict = decision.decide(
                snapshot, decision.Counters(), decision.Request(body.model, body.provider), current_catalog, now_us
            )
            if verdict.allowed:
                verdict = decision.Decision(True, decision.VALID, "already authorized: its estimate is held once",
                                            allowed_providers=verdict.allowed_providers)
        else:
            verdict = decision.decide(snapshot, counters, request, current_catalog, now_us)
            if verdict.allowed:
                expires_at = now_us + hold_seconds * 1_000_000
                await keystate.take_hold(tx, snapshot.key_id, body.request_id, body.estimated_cost, window_start, expires_at)
                # other instances answer soft checks from their caches: they must count this hold too
                await changes.emit(tx, changes.KEY, snapshot.key_id, now_us)
                held = True
    if verdict.allowed:
        cache.touch(snapshot.key_id, now_us)
    if held:
        # this instance knows exactly what changed: bring its cache entry up to date in place
        cache.held_here(snapshot.key_id, counters, window_start, body.estimated_cost, expires_at)
    return Answer(verdict, snapshot.key_id, snapshot.project_id)
