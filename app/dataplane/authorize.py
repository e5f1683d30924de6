"""/v1/authorize: gather the decision's inputs, decide, and take a hold when asked to.

Without a hold the answer comes from the instance's cache (app/dataplane/cache.py). With
``estimatedCost`` and ``requestId`` on a key that has a limit, the key is locked in one short
transaction, the counters are read fresh under the lock, and the hold is inserted only when
the decision allows it, so concurrent requests on any number of instances cannot
over-allocate a limit. A hold is announced on the change feed: other instances answer soft
checks (no estimate) from their caches, and must count it.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass


from app.dataplane.cache import KeyCache
from app.dataplane.group_commit import GroupCommit
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


async def authorize(cache: KeyCache, clock, body: AuthorizeBody, hold_seconds: int,
                    holds: GroupCommit[HoldRequest, Answer] | None = None) -> Answer:
    """Without a ``requestId``: the cache answers, no database round trip (the hot path). With one,
    what the store knows of it is an input of the decision: a settled id is refused
    (DUPLICATE_REQUEST_ID), a held one is not held twice. A soft check with a request id pays one
    indexed read for that; a hold reads it under the key's lock with the counters, in a
    transaction shared with the holds that arrive meanwhile (``holds``, a group commit)."""
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
            item = HoldRequest(snapshot, body, request, current_catalog, now_us, hold_seconds)
            (answer,) = await (holds.submit([item]) if holds is not None else decide_holds(cache, [item]))
            return answer
        # nothing to hold (or nothing to hold against, or IAM refuses): only the id's state is needed
        state = await keystate.request_state(sql.client(), snapshot.key_id, body.request_id, now_us)
        verdict = decision.decide(snapshot, counters, request, current_catalog, now_us, rules_verdict, state)
    if verdict.allowed:
        cache.touch(snapshot.key_id, now_us)
    return Answer(verdict, snapshot.key_id, snapshot.project_id)


@dataclass(frozen=True)
class HoldRequest:
    """An authorization that takes a hold when allowed: decided under its key's lock."""

    snapshot: decision.KeySnapshot  # from the cache: its rules (the row is read again under the lock)
    body: AuthorizeBody
    request: decision.Request
    catalog: object
    now_us: int
    hold_seconds: int


async def decide_holds(cache: KeyCache, items: list[HoldRequest]) -> list[Answer]:
    """Decide a group of hold requests in one transaction (group commit, app/dataplane/group_commit.py).

    The keys' rows are locked first, in id order; then each request is decided in arrival order
    on counters read under those locks, which include the holds taken before it in this
    transaction, and its hold is inserted when allowed. A request id that already holds budget
    is not held twice (a retried authorization gets the same answer), and one whose usage is
    already recorded is refused: decide() sees both. Concurrent groups on any number of
    instances cannot together over-allocate a limit.
    """
    answers: list[Answer] = []
    taken: list[tuple[int, decision.Counters, int | None, int, int]] = []
    async with changes.write() as tx:
        rows = {key_id: await keystate.lock_and_read(tx, key_id) for key_id in sorted({i.snapshot.key_id for i in items})}
        for item in items:
            row = rows[item.snapshot.key_id]
            if row is None:
                answers.append(Answer(decision.decide(None, decision.Counters(), item.request, item.catalog, item.now_us)))
                continue
            snapshot = keystate.snapshot_from(row, item.snapshot.rules)
            counters, window_start, state = await keystate.counters_under_lock(tx, row, item.now_us, item.body.request_id)
            verdict = decision.decide(snapshot, counters, item.request, item.catalog, item.now_us, state=state)
            if verdict.allowed and state is decision.RequestState.NEW:
                expires_at = item.now_us + item.hold_seconds * 1_000_000
                await keystate.take_hold(tx, snapshot.key_id, item.body.request_id, item.body.estimated_cost,
                                         window_start, expires_at)
                taken.append((snapshot.key_id, counters, window_start, item.body.estimated_cost, expires_at))
            answers.append(Answer(verdict, snapshot.key_id, snapshot.project_id))
        # other instances answer soft checks from their caches: they must count these holds too
        for key_id in sorted({t[0] for t in taken}):
            await changes.emit(tx, changes.COUNTERS, key_id, max(i.now_us for i in items))
        # this instance knows exactly what changed: its cache entries are brought up to date in place
        for key_id, counters, window_start, amount, expires_at in taken:
            changes.after_commit(tx, functools.partial(cache.held_here, key_id, counters, window_start, amount,
                                                       expires_at))
    for item, answer in zip(items, answers):
        if answer.decision.allowed:
            cache.touch(answer.key_id, item.now_us)
    return answers
