"""The housekeeping forgets the alert firings of recurring windows that have ended (in bounded
batches), on the injectable clock: the all-time limit's firings and the current window's stay, so
no threshold fires twice; a window an open hold still counts against is kept."""
from __future__ import annotations

import dataclasses

import pytest

from app.domain.alerts import EVERY_WINDOW, FIRING_GRACE_US, firings_ended_before
from app.domain.timeconv import to_micros
from app.domain.windows import Window, WindowUnit
from app.store import alert_firings, sql
from tests.support.api import create_key
from tests.webhooks.conftest import add_webhook

DAY = {"value": 1, "unit": "DAY"}
DAY_US = 86_400 * 1_000_000
MODEL = "openai/gpt-4o"


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, hold_seconds=3 * 86_400)  # a hold that outlives its window


async def firings() -> list[tuple]:
    rows = await sql.fetch(sql.client(), "SELECT key_id, limit_kind, window_start, event_type, threshold FROM alert_firings"
                                         " ORDER BY key_id, limit_kind, window_start, event_type, threshold")
    return [(r["key_id"], r["limit_kind"], int(r["window_start"]), r["event_type"], r["threshold"]) for r in rows]


async def spend(gateway, key_id: str, request_id: str, cost: str) -> None:
    result = await gateway.usage({"keyId": key_id, "requestId": request_id, "cost": cost})
    assert result["results"][0]["recorded"], result


def alerts(receiver) -> list[tuple]:
    return [(e["type"], e["data"]["limit"], e["data"]["threshold"], e["data"].get("windowStart")) for e in receiver.events()]


def test_a_window_ends_for_its_firings_a_grace_after_its_end():
    day = Window(1, WindowUnit.DAY)
    anchor = 10 * DAY_US
    assert firings_ended_before(None, None, anchor) == EVERY_WINDOW  # no recurring limit: no recurring alert
    assert firings_ended_before(day, anchor, anchor + FIRING_GRACE_US - 1) is None  # nothing has ended yet
    assert firings_ended_before(day, anchor, anchor + FIRING_GRACE_US) == anchor  # an earlier limit's windows
    assert firings_ended_before(day, anchor, anchor + DAY_US + FIRING_GRACE_US - 1) == anchor  # the first: grace
    assert firings_ended_before(day, anchor, anchor + DAY_US + FIRING_GRACE_US) == anchor + DAY_US
    assert firings_ended_before(day, anchor, anchor + 5 * DAY_US + FIRING_GRACE_US) == anchor + 5 * DAY_US


async def test_the_firings_of_an_ended_window_go_the_current_and_all_time_ones_stay(app, acme, gateway, receiver,
                                                                                    deliver, clock):
    await app.state.change_feed.stop()  # the housekeeping runs when this test says, not after a poll
    await add_webhook(acme, receiver)
    anchor = to_micros(clock.now())
    key = (await create_key(acme, allTimeLimit="10", recurringLimit={"amount": "2", "window": DAY},
                            alertThresholds=[50]))["apiKey"]
    await spend(gateway, key["id"], "r1", "6")  # all-time 50%, and the first day's 50% and 100%
    first_day = {f for f in await firings() if f[1] == "RECURRING"}
    assert len(first_day) == 2 and len(await firings()) == 3

    clock.advance(days=1, minutes=30)  # the first day ended half an hour ago: within the grace, kept
    await spend(gateway, key["id"], "r2", "1")  # the second day's 50%
    await app.state.housekeeping()
    assert first_day <= set(await firings()) and len(await firings()) == 4

    clock.advance(hours=1)  # now past the grace
    await app.state.housekeeping()
    left = await firings()
    assert not first_day & set(left)
    assert [(kind, event, threshold) for _, kind, _, event, threshold in left] == [
        ("ALL_TIME", "key.usage_threshold", 50), ("RECURRING", "key.usage_threshold", 50)]
    assert [start for _, kind, start, _, _ in left if kind == "RECURRING"] == [anchor + DAY_US]

    await spend(gateway, key["id"], "r3", "0.5")  # still the second day, past 50% again: nothing new
    await deliver()
    assert [(t, limit, threshold) for t, limit, threshold, _ in alerts(receiver)] == [
        ("key.usage_threshold", "ALL_TIME", 50), ("key.usage_threshold", "RECURRING", 50),
        ("key.limit_reached", "RECURRING", 100), ("key.usage_threshold", "RECURRING", 50)]
    assert len(await firings()) == 2

    clock.advance(days=1)  # a new day fires again, as it always did
    await spend(gateway, key["id"], "r4", "1")
    await deliver()
    assert alerts(receiver)[-1][:3] == ("key.usage_threshold", "RECURRING", 50)
    assert len(receiver.events()) == 5


async def test_a_key_without_a_recurring_limit_any_more_keeps_only_its_all_time_firings(app, acme, gateway, clock):
    await app.state.change_feed.stop()
    key = (await create_key(acme, allTimeLimit="10", recurringLimit={"amount": "2", "window": DAY},
                            alertThresholds=[50]))["apiKey"]
    await spend(gateway, key["id"], "r1", "5")
    assert {f[1] for f in await firings()} == {"ALL_TIME", "RECURRING"}
    removed = await acme.gql.mutate("UpdateApiKeyLimits", id=key["id"], recurringLimit=None)
    assert removed["errors"] == []
    clock.advance(minutes=5)
    await app.state.housekeeping()
    assert {f[1] for f in await firings()} == {"ALL_TIME"}


async def test_a_window_an_open_hold_counts_against_is_kept_until_the_hold_is_settled(app, acme, gateway, receiver,
                                                                                      deliver, clock):
    await app.state.change_feed.stop()
    await add_webhook(acme, receiver, events=["KEY_USAGE_THRESHOLD"])
    created = await create_key(acme, recurringLimit={"amount": "2", "window": DAY}, alertThresholds=[50])
    key_id, secret = created["apiKey"]["id"], created["secret"]
    held = await gateway.authorize(key=secret, model=MODEL, estimatedCost="0.5", requestId="held")
    assert held["allowed"], held
    await spend(gateway, key_id, "r1", "1")  # the first day's 50%
    clock.advance(days=2)  # long past the first day and the grace, but the hold is open (3 days)
    await app.state.housekeeping()
    assert len(await firings()) == 1  # kept: usage settling the hold is charged to the first day

    await spend(gateway, key_id, "held", "0.4")  # the first day again, past 50%: fired already
    await deliver()
    assert len(receiver.events()) == 1
    clock.advance(minutes=1)
    await app.state.housekeeping()  # settled: nothing counts against the first day any more
    assert await firings() == []


async def test_a_backlog_is_pruned_in_bounded_batches_and_the_next_run_goes_on_where_this_one_stopped(
        app, acme, gateway, clock):
    await app.state.change_feed.stop()
    keys = [(await create_key(acme, name=f"k{n}", recurringLimit={"amount": "1", "window": {"value": 1, "unit": "HOUR"}},
                              alertThresholds=[10, 20, 30]))["apiKey"]["id"] for n in range(3)]
    for hour in range(2):
        for n, key_id in enumerate(keys):
            await spend(gateway, key_id, f"h{hour}-{n}", "0.35")  # 10, 20 and 30% of each hour's window
        clock.advance(hours=1)
    clock.advance(hours=1)  # the windows of both hours have ended, and their grace too
    assert len(await firings()) == 18
    now_us = to_micros(clock.now())

    def prune(after: int = 0, **bounds):
        return alert_firings.prune_ended(sql.client(), now_us, after, **bounds)

    # pages of 2 keys, DELETEs of 4 rows, 3 statements a run: not done with that page, so it comes again
    assert await prune(key_page=2, batch=4, max_batches=3) == (8, 0)
    assert len(await firings()) == 10
    # a key a page, 2 statements a run: each run goes on after the key the last one stopped at
    deleted, after, cursors = 0, 0, []
    while True:
        more, after = await prune(after, key_page=1, batch=10, max_batches=2)
        deleted += more
        if after == 0:
            break
        cursors.append(after)
    assert deleted == 10 and await firings() == []
    assert len(cursors) >= 2 and cursors == sorted(set(cursors))
