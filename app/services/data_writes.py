"""The data plane's writes of one moment, in one transaction: usage events and holds together.

A gateway's loop with hard caps sends, per LLM request, an authorization that takes a hold and
then the usage that settles it. Group commit (app/dataplane/group_commit.py) gathers what
arrives while a transaction is being written; with one writer for both kinds, each round of
the loop costs one transaction instead of two, and on SQLite (one connection, one writer at a
time) the two kinds no longer take turns at the connection. The events are recorded first,
then the holds are decided on the counters those events left (an order any serial execution
of the concurrent requests could have had); the keys of both are locked first, in one id
order, so concurrent groups on any number of instances cannot wait on each other in a cycle.
"""
from __future__ import annotations

import functools

from app.domain.usage import UsageEvent
from app.services import authorize, usage
from app.services.authorize import Answer, HoldRequest, KeyEntries
from app.services.usage import EventResult


async def write_group(clock, cache: KeyEntries, retention_days: int,
                      items: list[UsageEvent | HoldRequest]) -> list[EventResult | Answer]:
    """One result per item, in order: an EventResult per event, an Answer per hold request."""
    events = [item for item in items if not isinstance(item, HoldRequest)]
    holds = [item for item in items if isinstance(item, HoldRequest)]
    if not holds:
        return await usage.record_events(clock, events, retention_days)
    if not events:
        return await authorize.decide_holds(cache, holds)
    alongside = usage.Alongside(frozenset(h.snapshot.key_id for h in holds),
                                functools.partial(authorize.decide_in, cache, holds))
    results, answers = await usage.record_events_with(clock, events, retention_days, alongside)
    authorize.touch_allowed(cache, holds, answers)
    of_events, of_holds = iter(results), iter(answers)
    return [next(of_holds) if isinstance(item, HoldRequest) else next(of_events) for item in items]
