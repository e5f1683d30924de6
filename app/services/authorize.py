"""The authorization policy: what `/v1/authorize` answers, when it takes a hold, and how holds
are decided under the keys' locks.

Without a hold the answer comes from the instance's cache of keys (app/dataplane/cache.py,
passed in as ``cache``). A request takes a hold when it carries ``estimatedCost`` and
``requestId``, on a key that has a limit, and IAM allows it (``takes_hold``). Holds are decided
in groups (group commit, app/dataplane/group_commit.py): one transaction locks the keys, reads
their counters fresh under the locks and inserts the holds the decisions allow, so concurrent
requests on any number of instances cannot over-allocate a limit. What the store knows of a
request id (held, settled) is an input of the one decision, ``decision.decide``. A hold is
announced on the change feed: other instances answer soft checks from their caches and must
count it.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Awaitable, Callable, Protocol

from app.domain import decision, secrets
from app.domain.decision import RequestState
from app.domain.timeconv import to_micros
from app.services.catalog import CatalogCache
from app.store import changes, keystate, sql


@dataclass(frozen=True)
class AuthorizeBody:
    """What the gateway asks: may this key (its secret) make this request?"""

    key: str
    model: str
    provider: str | None
    estimated_cost: int | None  # nanos; with request_id, a hold is asked for
    request_id: str | None


@dataclass(frozen=True)
class Answer:
    decision: decision.Decision
    key_id: int | None = None
    project_id: int | None = None


class KeyEntries(Protocol):
    """What the policy needs of the instance's cache of keys."""

    async def get(self, key_hash: str, now_us: int): ...

    def touch(self, key_id: int, now_us: int) -> None: ...

    def held_here(self, key_id: int, counters: decision.Counters, window_start: int | None, amount: int,
                  expires_at: int) -> None: ...


@dataclass(frozen=True)
class HoldRequest:
    """An authorization that takes a hold when allowed: decided under its key's lock."""

    snapshot: decision.KeySnapshot  # from the cache: its rules (the row is read again under the lock)
    body: AuthorizeBody
    request: decision.Request
    catalog: object
    now_us: int
    hold_seconds: int


Holds = Callable[[list[HoldRequest]], Awaitable[list[Answer]]]

STATUS_CODES = (decision.NOT_FOUND, decision.EXPIRED, decision.DISABLED)


def takes_hold(snapshot: decision.KeySnapshot, body: AuthorizeBody, verdict: decision.Decision) -> bool:
    """Whether this request's estimate must be held under the key's lock: it names an estimate and a
    request id, the key has a limit to hold against, and neither the key's status nor IAM refuses it."""
    limited = snapshot.all_time_limit is not None or snapshot.recurring_amount is not None
    return (body.request_id is not None and body.estimated_cost is not None and limited
            and verdict.code not in STATUS_CODES and verdict.code != decision.FORBIDDEN)


def hold_expiry(now_us: int, hold_seconds: int) -> int:
    """When a hold taken now stops reserving budget (its usage never came)."""
    return now_us + hold_seconds * 1_000_000


async def authorize(cache: KeyEntries, catalogs: CatalogCache, clock, body: AuthorizeBody, hold_seconds: int,
                    holds: Holds | None = None) -> Answer:
    """Without a ``requestId``: the cache answers, no database round trip (the hot path). With one,
    what the store knows of it is an input of the decision: a settled id is refused
    (DUPLICATE_REQUEST_ID), a held one is not held twice. A soft check with a request id pays one
    indexed read for that; a hold is decided under the key's lock, in a transaction shared with
    the holds that arrive meanwhile (``holds``, a group commit of ``decide_holds``). ``catalogs``:
    the instance's catalog cache."""
    now_us = to_micros(clock.now())
    request = decision.Request(body.model, body.provider, body.estimated_cost)
    current_catalog = await catalogs.current()
    entry = await cache.get(secrets.hash_secret(body.key), now_us)
    if entry is None:
        return Answer(decision.decide(None, decision.Counters(), request, current_catalog, now_us))
    snapshot = entry.snapshot
    counters = entry.counters(now_us)
    rules_verdict = entry.iam_verdict(current_catalog, body.model, body.provider)
    verdict = decision.decide(snapshot, counters, request, current_catalog, now_us, rules_verdict)
    if takes_hold(snapshot, body, verdict):
        item = HoldRequest(snapshot, body, request, current_catalog, now_us, hold_seconds)
        (answer,) = await (holds([item]) if holds is not None else decide_holds(cache, [item]))
        return answer
    if body.request_id is not None and verdict.code not in STATUS_CODES:
        # nothing to hold (or nothing to hold against, or IAM refuses): only the id's state is needed
        state = await keystate.request_state(sql.client(), snapshot.key_id, body.request_id, now_us)
        verdict = decision.decide(snapshot, counters, request, current_catalog, now_us, rules_verdict, state)
    if verdict.allowed:
        cache.touch(snapshot.key_id, now_us)
    return Answer(verdict, snapshot.key_id, snapshot.project_id)


async def decide_holds(cache: KeyEntries, items: list[HoldRequest]) -> list[Answer]:
    """Decide a group of hold requests in one transaction.

    The keys' rows are locked first, in id order, and their counters and the request ids' states
    are read under those locks (a few statements for the whole group). Then each request is
    decided in arrival order on those counters, which include the holds taken before it in this
    transaction, and its hold is taken when allowed and its id is new (a retried authorization
    gets the same answer and is held once; one whose usage is recorded is refused: decide() sees
    both). The group is decided at one time, its latest arrival. Concurrent groups on any number
    of instances cannot together over-allocate a limit.
    """
    answers = await changes.write_at_once(functools.partial(decide_in, cache, items))
    touch_allowed(cache, items, answers)
    return answers


def touch_allowed(cache: KeyEntries, items: list[HoldRequest], answers: list[Answer]) -> None:
    """After the commit: the keys whose requests were allowed were used (the group's time)."""
    now_us = max(item.now_us for item in items)
    for answer in answers:
        if answer.decision.allowed:
            cache.touch(answer.key_id, now_us)


async def decide_in(cache: KeyEntries, items: list[HoldRequest], tx) -> list[Answer]:
    """The transaction of ``decide_holds`` (or its part of a larger one, app/services/data_writes.py);
    it awaits nothing but its statements (one hop on SQLite)."""
    now_us = max(item.now_us for item in items)
    answers: list[Answer] = []
    taken: list[tuple[int, str, int, int | None, int]] = []
    rows = await keystate.lock_and_read(tx, sorted({item.snapshot.key_id for item in items}))
    counters = await keystate.counters_under_lock(tx, [rows[key_id] for key_id in sorted(rows)], now_us)
    states = await keystate.request_states(
        tx, sorted({(i.snapshot.key_id, i.body.request_id) for i in items if i.snapshot.key_id in rows}), now_us)
    for item in items:
        row = rows.get(item.snapshot.key_id)
        if row is None:
            answers.append(Answer(decision.decide(None, decision.Counters(), item.request, item.catalog, now_us)))
            continue
        snapshot = keystate.snapshot_from(row, item.snapshot.rules)
        pair = (snapshot.key_id, item.body.request_id)
        locked = counters[snapshot.key_id]
        before = locked.counters()
        verdict = decision.decide(snapshot, before, item.request, item.catalog, now_us, state=states[pair])
        if verdict.allowed and states[pair] is RequestState.NEW:
            amount, expires_at = item.body.estimated_cost, hold_expiry(now_us, item.hold_seconds)
            taken.append((snapshot.key_id, item.body.request_id, amount, locked.window_start, expires_at))
            # this instance's cache entry is brought up to date in place once the transaction commits
            changes.after_commit(tx, functools.partial(cache.held_here, snapshot.key_id, before,
                                                       locked.window_start, amount, expires_at))
            locked.hold(amount)
            states[pair] = RequestState.HELD
        answers.append(Answer(verdict, snapshot.key_id, snapshot.project_id))
    await keystate.take_holds(tx, taken)
    # other instances answer soft checks from their caches: they must count these holds too
    await changes.emit_counters(tx, sorted({hold[0] for hold in taken}), now_us)
    return answers
