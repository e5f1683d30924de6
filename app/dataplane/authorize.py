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
from app.store import changes, keystate, sql


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


STATUS_CODES = (decision.NOT_FOUND, decision.EXPIRED, decision.DISABLED)


async def authorize(cache: KeyCache, clock, body: AuthorizeBody, hold_seconds: int) -> Answer:
    """Without a ``requestId``: the cache answers, no database round trip (the hot path). With one,
    what the store knows of it is an input of the decision: a settled id is refused
    (DUPLICATE_REQUEST_ID), a held one is not held twice. A soft check with a request id pays one
    indexed read for that; a hold reads it under the key's lock with the counters."""
    now_us = to_micros(clock.now())
    request = decision.Request(body.model, body.provider, body.estimated_cost)
    current_catalog = await catalog.current()
    entry = await cache.get(secrets.hash_secret(body.key), now_us)
    if entry is None:
        return Answer(decision.decide(None, decision.Counters(), request, current_catalog, now_us))
    snapshot = entry.snapshot
    counters = entry.counters(now_us)
    rules_verdict = entry.iam_verdict(current_catalog, body.model, body.provider)
    verdict = decision.decide(snapshot, counters, request, current_catalog, now_us, rules_verdict)
    if body.request_id is not None and verdict.code not in STATUS_CODES:
        unlimited = snapshot.all_time_limit is None and snapshot.recurring_amount is None
        if body.estimated_cost is not None and not unlimited and verdict.code != decision.FORBIDDEN:
            return await _authorize_with_hold(cache, snapshot, body, request, current_catalog, now_us, hold_seconds)
        # nothing to hold (or nothing to hold against, or IAM refuses): only the id's state is needed
        state = await keystate.request_state(sql.client(), snapshot.key_id, body.request_id, now_us)
        verdict = decision.decide(snapshot, counters, request, current_catalog, now_us, rules_verdict, state)
    if verdict.allowed:
        cache.touch(snapshot.key_id, now_us)
    return Answer(verdict, snapshot.key_id, snapshot.project_id)


async def _authorize_with_hold(cache: KeyCache, snapshot, body, request, current_catalog, now_us: int,
                               hold_seconds: int) -> Answer:
    """Decide on fresh counters under the key's lock, and hold the estimate when allowed.

    A request id that already holds budget is not held twice (a retried authorization gets the
    same answer), and one whose usage is already recorded is refused: decide() sees both.
    """
    held = False
    async with in_transaction() as tx:
        row = await keystate.lock_and_read(tx, snapshot.key_id)
        if row is None:
            return Answer(decision.decide(None, decision.Counters(), request, current_catalog, now_us))
        snapshot = keystate.snapshot_from(row, snapshot.rules)
        counters, window_start, state = await keystate.counters_under_lock(tx, row, now_us, body.request_id)
        verdict = decision.decide(snapshot, counters, request, current_catalog, now_us, state=state)
        if verdict.allowed and state is decision.RequestState.NEW:
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
