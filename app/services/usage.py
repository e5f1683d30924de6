"""Recording what requests cost, and reading it back.

A batch of events is one transaction: the usage log rows, the keys' all-time usage, the
current windows' usage, the hourly rollups and the settled holds change together or not at all. Sums are
integer nano-dollars updated in SQL (``usage = usage + ?``), so concurrent writers on any
number of instances lose nothing.
"""
from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from tortoise.exceptions import IntegrityError

from app.domain import alerts
from app.domain.cursors import encode_cursor
from app.domain.money import MAX_USAGE_NANOS, format_nanos
from app.domain.retention import too_old, too_old_message
from app.domain.rollups import covering_hours, sums_by_hour
from app.domain.timeconv import RANGE_MESSAGE, representable, to_micros
from app.domain.usage import OCCURRED_AT_MESSAGE, UsageEvent, occurred_at_allowed, overflows
from app.services.errors import ErrorCode, refuse
from app.services.paging import Page, after_position, page_size
from app.store import changes, keystate, outbox, partitions, rollups, sql, usage_records, usage_windows

@dataclass(frozen=True)
class EventResult:
    request_id: str
    recorded: bool
    error_code: str | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class Alongside:
    """More of the data plane's writes carried by a usage batch's transaction (a group of holds,
    app/services/data_writes.py): the keys it writes, locked with the batch's own in one id
    order, and its body, run after the events under those locks; it awaits nothing but its
    statements."""

    key_ids: frozenset[int]
    body: Callable[[Any], Awaitable[Any]]


async def record_events(clock, events: list[UsageEvent], retention_days: int = 0) -> list[EventResult]:
    """Record a batch atomically; returns one result per event, in order. ``retention_days``: how long
    records are kept (0: forever); an event dated before that, less a margin, is refused as too old."""
    results, _ = await record_events_with(clock, events, retention_days, None)
    return results


async def record_events_with(clock, events: list[UsageEvent], retention_days: int,
                             alongside: Alongside | None) -> tuple[list[EventResult], Any]:
    """``record_events``, with ``alongside`` written in the same transaction: (the events' results,
    what its body returned)."""
    for attempt in range(3):
        try:
            return await _record_once(clock, events, retention_days, alongside)
        except Exception as exc:
            # (PostgreSQL) an event fell in a month that had no partition yet (now created), or the
            # transaction was chosen to break a deadlock (it rolled back whole): write again
            if attempt == 2 or not (isinstance(exc, IntegrityError) or sql.is_deadlock(exc)):
                raise
    raise AssertionError("unreachable")


async def _record_once(clock, events: list[UsageEvent], retention_days: int,
                       alongside: Alongside | None) -> tuple[list[EventResult], Any]:
    now_us = to_micros(clock.now())
    dated: list[int] = []  # when the events to insert happened (to create missing partitions)
    try:
        return await changes.write_at_once(functools.partial(_record_in, events, now_us, retention_days, dated,
                                                             alongside))
    except IntegrityError as exc:
        if dated and partitions.missing_partition(exc):
            await partitions.cover(min(dated), max(dated))
        raise


async def _record_in(events: list[UsageEvent], now_us: int, retention_days: int, dated: list[int],
                     alongside: Alongside | None, tx) -> tuple[list[EventResult], Any]:
    """The batch's one transaction: records, totals, windows, holds, rollups. Each statement covers
    every key of the batch, so a batch costs the same number of round trips however many keys and
    events it carries; on SQLite the whole transaction is one hop to its thread."""
    # lock the keys' rows first, in id order, and check the events against them under those locks
    # (a key cannot go away meanwhile): on PostgreSQL the inserts below would otherwise each take
    # a foreign-key share lock on the same busy row (slow), and on SQLite the transaction takes
    # the write lock at its first statement
    extra_keys = alongside.key_ids if alongside is not None else frozenset()
    locked = await keystate.lock_and_read(tx, sorted({e.key_id for e in events} | extra_keys))
    results: list[EventResult | None] = [None] * len(events)
    fresh: dict[tuple[int, str], int] = {}  # (key, request id) -> index of its first event in the batch
    for index, event in enumerate(events):
        if event.key_id not in locked:
            results[index] = EventResult(event.request_id, False, "NOT_FOUND", "no API key has this keyId")
        elif event.occurred_at is not None and not occurred_at_allowed(event.occurred_at, locked[event.key_id]["created_at"], now_us):
            results[index] = EventResult(event.request_id, False, "VALIDATION", OCCURRED_AT_MESSAGE)
        elif event.occurred_at is not None and too_old(event.occurred_at, now_us, retention_days):
            results[index] = EventResult(event.request_id, False, "VALIDATION", too_old_message(retention_days))
        elif (event.key_id, event.request_id) in fresh:
            results[index] = EventResult(event.request_id, False)
        else:
            fresh[(event.key_id, event.request_id)] = index
    inserted, overflowed = set(), set()
    if fresh:
        dated.extend(events[i].occurred_at if events[i].occurred_at is not None else now_us for i in fresh.values())
        inserted, overflowed = await _write(tx, events, fresh, {key_id: row["usage"] for key_id, row in locked.items()},
                                            {key_id for key_id, row in locked.items() if row["has_holds"]}, now_us)
    for pair, index in fresh.items():
        if pair in overflowed:
            results[index] = EventResult(
                events[index].request_id, False, "LIMIT_OVERFLOW",
                f"recording this cost would take the key's all-time usage past {format_nanos(MAX_USAGE_NANOS)}",
            )
        else:
            results[index] = EventResult(events[index].request_id, pair in inserted)
    return results, (await alongside.body(tx) if alongside is not None else None)  # type: ignore[return-value]


async def _write(tx, events: list[UsageEvent], fresh: dict, usage_before: dict[int, int], with_holds: set[int],
                 now_us: int) -> tuple[set, set]:
    """Insert the fresh events under the keys' locks; returns the (key, request id) pairs recorded and
    those refused for LIMIT_OVERFLOW. ``with_holds``: the keys that had holds when locked."""
    # in (key, request id) order: concurrent batches sharing request ids then never wait on each other in a cycle
    pending = [events[fresh[pair]] for pair in sorted(fresh)]
    inserted = await usage_records.insert_new(tx, [
        (e.key_id, e.request_id, e.occurred_at if e.occurred_at is not None else now_us, now_us, e.model,
         e.provider, e.cost, e.source.value) for e in pending])
    overflowed = _overflowing(events, fresh, inserted, usage_before)
    await usage_records.delete(tx, overflowed)
    inserted -= overflowed
    recorded = [events[fresh[pair]] for pair in sorted(inserted)]
    counters_after, deliveries = await _apply_totals(tx, recorded, with_holds, now_us)
    await rollups.add(tx, sums_by_hour(
        (e.key_id, e.occurred_at if e.occurred_at is not None else now_us, e.source.value, e.cost) for e in recorded
    ))
    # this instance's cache entries take the committed counters in place
    changes.after_commit(tx, functools.partial(changes.counted_locally, counters_after))
    if deliveries:
        changes.after_commit(tx, outbox.wake)
    return inserted, overflowed


def _overflowing(events: list[UsageEvent], fresh: dict, inserted: set, usage_before: dict[int, int]) -> set:
    """The newly inserted events that would take their key past the most usage may reach, in batch order:
    each one fails alone, and later (smaller) events of the batch may still fit."""
    usage = dict(usage_before)
    over: set[tuple[int, str]] = set()
    for pair, index in sorted(fresh.items(), key=lambda item: item[1]):
        if pair not in inserted:
            continue
        key_id, cost = pair[0], events[index].cost
        if overflows(usage.get(key_id, 0), cost):
            over.add(pair)
        else:
            usage[key_id] = usage.get(key_id, 0) + cost
    return over


async def _apply_totals(tx, recorded: list[UsageEvent], with_holds: set[int],
                        now_us: int) -> tuple[list[keystate.CountersAfter], int]:
    """The all-time totals, the settled holds and the windows of every key of the batch.

    Usage that settles an open hold counts toward the window the hold was taken in (the request
    was authorized against that window); other usage toward the window current now. The current
    window is computed from the limit columns returned by the update of the totals (under the
    keys' locks), so a recurring limit changed at the same moment is seen either entirely before
    or entirely after this batch. The budget alerts are decided here, on the counters this
    transaction wrote: every alert they reach is inserted once, and those that were new join the
    outbox. Returns what the batch left each key's counters at, for this instance's cache, and
    how many deliveries it wrote.
    """
    per_key: dict[int, int] = defaultdict(int)
    for event in recorded:
        per_key[event.key_id] += event.cost
    if not per_key:
        return [], 0
    rows = await keystate.add_usage(tx, per_key, now_us)
    hold_windows, settled_keys = await keystate.settle_holds(
        tx, [(e.key_id, e.request_id) for e in recorded if e.key_id in with_holds], now_us)
    current = {key_id: keystate.window_start_of(row, now_us) for key_id, row in rows.items()}
    per_window: dict[tuple[int, int], int] = defaultdict(int)
    for event in recorded:
        pair = (event.key_id, event.request_id)
        start = hold_windows[pair] if pair in hold_windows else current.get(event.key_id)
        if start is not None:
            per_window[(event.key_id, start)] += event.cost
    window_usage = await usage_windows.add(tx, per_window)
    # what stays open of the keys that settled holds, read under their locks
    open_holds = await keystate.open_holds_many(tx, sorted(settled_keys), now_us)
    deliveries = 0
    after: list[keystate.CountersAfter] = []
    for key_id in sorted(rows):
        row = rows[key_id]
        charged = {start: usage for (k, start), usage in window_usage.items() if k == key_id}
        holds = None
        if key_id in settled_keys:
            by_window, first_expiry = open_holds.get(key_id, ({}, None))
            holds = (by_window, first_expiry if first_expiry is not None else keystate.NEVER)
        after.append(keystate.CountersAfter(key_id, int(row["usage"]), charged, holds))
        reached = alerts.alerts_for(int(row["usage"]), row["all_time_limit"], charged, row["recurring_amount"],
                                    alerts.thresholds_from_text(row["alert_thresholds"]))
        deliveries += await outbox.fire_alerts(tx, key_id, row["project_id"], reached, now_us)
    await changes.emit_counters(tx, sorted(per_key), now_us)
    return after, deliveries


async def get_record(tenant, record_id: int | None) -> dict | None:
    """One usage record, if it belongs to a key of the caller's organization (for ``node(id:)``)."""
    if record_id is None:
        return None
    return await usage_records.get_in_org(sql.client(), record_id, tenant.org_id)


def records_page_args(first: int | None, after: str | None) -> tuple[int, tuple[int, ...] | None]:
    """The page size and the position after the cursor, or a VALIDATION refusal (no I/O: the
    GraphQL layer also runs this before any resolver, see schema/arguments.py)."""
    return page_size(first), after_position("u", after, 2)
async def records_page(key_id: int, first: int | None, after: str | None) -> Page[dict]:
    """A key's usage log, newest first (by when the request happened, then by arrival)."""
    size, position = records_page_args(first, after)
    rows = await usage_records.newest_first(sql.client(), key_id, position, size + 1)
    items = rows[:size]
    return Page(
        items=items,
        cursors=[encode_cursor("u", row["occurred_at"], row["id"]) for row in items],
        has_next=len(rows) > size,
        has_previous=position is not None,
    )


DAY_US = 86_400 * 1_000_000
MAX_SUMMARY_DAYS = 366


@dataclass(frozen=True)
class UsageSummary:
    from_us: int
    to_us: int
    total: int
    requests: int
    by_source: dict[str, tuple[int, int]]  # source -> (amount, requests)
    by_day: list[tuple[int, int, int]]  # (day start in micros, amount, requests), every day of the range


def summary_range(now_us: int, from_us: int | None, to_us: int | None) -> tuple[int, int]:
    """[from, to) with the defaults applied and widened to whole UTC hours, or a VALIDATION refusal
    (no I/O: the GraphQL layer also runs this before any resolver, see schema/arguments.py)."""
    given_from = from_us is not None
    to_us = (now_us // DAY_US + 1) * DAY_US if to_us is None else to_us
    from_us = (to_us - 1) // DAY_US * DAY_US - 29 * DAY_US if from_us is None else from_us
    if not representable(from_us):
        raise refuse(ErrorCode.VALIDATION, "from" if given_from else "to", RANGE_MESSAGE)
    if not representable(to_us):
        raise refuse(ErrorCode.VALIDATION, "to", RANGE_MESSAGE)
    if from_us >= to_us:
        raise refuse(ErrorCode.VALIDATION, "from", "from must be before to")
    if to_us - from_us > MAX_SUMMARY_DAYS * DAY_US:
        raise refuse(ErrorCode.VALIDATION, "from", f"the range may span at most {MAX_SUMMARY_DAYS} days")
    from_us, to_us = covering_hours(from_us, to_us)
    if not representable(to_us):  # the last hour of year 9999
        raise refuse(ErrorCode.VALIDATION, "to", RANGE_MESSAGE)
    return from_us, to_us


async def summary(key_id: int, now_us: int, from_us: int | None, to_us: int | None) -> UsageSummary:
    """Spend of a key over [from, to) by source and by UTC day, read from the hourly rollups only
    (its cost does not depend on the number of records, nor on their retention).

    Default: the 30 UTC days ending with today, today included whole (so what was recorded a
    moment ago is in it); a ``to`` that is given is exclusive. A range that is not aligned to hours
    is widened to the hours it overlaps, and the summary says so in its ``from_us``/``to_us``.
    """
    from_us, to_us = summary_range(now_us, from_us, to_us)
    rows = await rollups.by_day_and_source(sql.client(), key_id, from_us, to_us, DAY_US)
    by_source: dict[str, tuple[int, int]] = {}
    per_day: dict[int, tuple[int, int]] = {}
    for row in rows:
        amount, count, day = row["amount"], row["requests"], row["day"]
        a, c = by_source.get(row["source"], (0, 0))
        by_source[row["source"]] = (a + amount, c + count)
        a, c = per_day.get(day, (0, 0))
        per_day[day] = (a + amount, c + count)
    first_day, last_day = from_us // DAY_US, (to_us - 1) // DAY_US
    by_day = [(day * DAY_US, *per_day.get(day, (0, 0))) for day in range(first_day, last_day + 1)]
    return UsageSummary(
        from_us=from_us,
        to_us=to_us,
        total=sum(a for a, _ in by_source.values()),
        requests=sum(c for _, c in by_source.values()),
        by_source=by_source,
        by_day=by_day,
    )
