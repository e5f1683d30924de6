"""Counters kept in place: usage and holds recorded through this instance update its cached
entry with what the transaction committed, so a busy key is not reloaded after every report;
its own change-feed rows do not drop the entry again, and other instances still learn of it."""
from __future__ import annotations

from app.dataplane.cache import KeyCache
from app.dataplane.feed import ChangeFeed
from app.domain.secrets import hash_secret
from app.domain.timeconv import to_micros
from app.store import changes, key_counters
from tests.support.api import create_key
from tests.support.queries import QueryCounter

DAY = {"value": 1, "unit": "DAY"}
MODEL = "openai/gpt-4o"


async def test_usage_recorded_here_updates_the_cached_counters_without_a_reload(app, acme, gateway):
    created = await create_key(acme, allTimeLimit="1", recurringLimit={"amount": "0.7", "window": DAY})
    secret, key_id = created["secret"], created["apiKey"]["id"]
    cache = app.state.key_cache
    await app.state.change_feed.poll_once()  # the key's creation has come round the feed
    assert (await gateway.authorize(key=secret, model=MODEL))["code"] == "VALID"
    loads = cache.misses

    await gateway.usage({"keyId": key_id, "requestId": "a", "cost": "0.4"})
    assert (await gateway.authorize(key=secret, model=MODEL))["code"] == "VALID"
    await gateway.usage({"keyId": key_id, "requestId": "b", "cost": "0.3"})
    # 0.7 of the window's 0.7: refused, from the cache
    assert (await gateway.authorize(key=secret, model=MODEL))["code"] == "PERIOD_USAGE_EXCEEDED"
    await app.state.change_feed.poll_once()  # its own rows: the entry stays
    assert (await gateway.authorize(key=secret, model=MODEL))["code"] == "PERIOD_USAGE_EXCEEDED"
    assert cache.misses == loads, "the key was reloaded after usage recorded by this instance"
    entry = await cache.get(hash_secret(secret), to_micros(app.state.clock.now()))
    assert (entry.usage, entry.window_usage) == (700_000_000, 700_000_000)


async def test_settled_holds_leave_the_cached_holds_exact(app, acme, gateway):
    created = await create_key(acme, allTimeLimit="1")
    secret, key_id = created["secret"], created["apiKey"]["id"]
    cache = app.state.key_cache
    await app.state.change_feed.poll_once()
    for request_id in ("h1", "h2"):
        answer = await gateway.authorize(key=secret, model=MODEL, estimatedCost="0.4", requestId=request_id)
        assert answer["allowed"]
    loads = cache.misses
    await gateway.usage({"keyId": key_id, "requestId": "h1", "cost": "0.1"})  # settles h1 at 0.1
    now = to_micros(app.state.clock.now())
    counters = (await cache.get(hash_secret(secret), now)).counters(now)
    assert (counters.usage, counters.held) == (100_000_000, 400_000_000)
    assert cache.misses == loads
    # 0.1 used + 0.4 held: 0.5 left, and a soft check agrees with a hard one
    assert (await gateway.authorize(key=secret, model=MODEL, estimatedCost="0.5", requestId="h3"))["allowed"]
    assert not (await gateway.authorize(key=secret, model=MODEL, estimatedCost="0.1", requestId="h4"))["allowed"]


async def test_another_instance_still_drops_its_entry_when_usage_is_recorded_here(app, acme, gateway, clock):
    created = await create_key(acme, allTimeLimit="1")
    secret, key_id = created["secret"], created["apiKey"]["id"]
    # the listeners are the process's: the app's own feed, polling late on a loaded machine, would
    # hand the other cache the key's creation (KEY) while it listens, and it would drop the entry
    await app.state.change_feed.stop()
    other_cache, other_feed = KeyCache(), ChangeFeed(interval_ms=1000)
    while await other_feed.poll_once():  # catch up with what earlier tests left in the feed
        pass
    now = to_micros(clock.now())
    assert (await other_cache.get(hash_secret(secret), now)).usage == 0

    await gateway.usage({"keyId": key_id, "requestId": "a", "cost": "1"})

    changes.subscribe_local(other_cache.on_change)
    try:
        while await other_feed.poll_once():
            pass
    finally:
        changes.unsubscribe_local(other_cache.on_change)
    assert (await other_cache.get(hash_secret(secret), now)).usage == 1_000_000_000


async def test_another_instance_refreshes_only_the_counters_in_one_query(app, acme, gateway, clock, monkeypatch):
    created = await create_key(acme, allTimeLimit="1", recurringLimit={"amount": "0.5", "window": DAY},
                               iamRules=[{"type": "ALLOW_MODELS", "values": [MODEL]}])
    secret, key_id = created["secret"], created["apiKey"]["id"]
    # the listeners are the process's: the app's own feed, polling late on a loaded machine, would
    # hand the other cache the key's creation (KEY) while it listens, and it would drop the entry
    await app.state.change_feed.stop()
    other_cache, other_feed = KeyCache(), ChangeFeed(interval_ms=1000)
    while await other_feed.poll_once():  # catch up with what earlier tests left in the feed
        pass
    now = to_micros(clock.now())
    assert (await other_cache.get(hash_secret(secret), now)).usage == 0
    loads = other_cache.misses

    await gateway.usage({"keyId": key_id, "requestId": "a", "cost": "0.5"})
    assert (await gateway.authorize(key=secret, model=MODEL, estimatedCost="0.2", requestId="h"))["code"] \
        == "PERIOD_USAGE_EXCEEDED"
    await gateway.usage({"keyId": key_id, "requestId": "b", "cost": "0.25"})
    changes.subscribe_local(other_cache.on_change)
    try:
        while await other_feed.poll_once():
            pass
    finally:
        changes.unsubscribe_local(other_cache.on_change)

    queries = QueryCounter(monkeypatch)
    entry = await other_cache.get(hash_secret(secret), now)
    monkeypatch.undo()
    assert queries.count == 1 and other_cache.misses == loads, "the whole key was reloaded"
    counters = entry.counters(now)
    assert (counters.usage, counters.window_usage, counters.held) == (750_000_000, 750_000_000, 0)
    assert entry.snapshot.rules, "the snapshot (its IAM rules) was kept"
    again = QueryCounter(monkeypatch)
    assert (await other_cache.get(hash_secret(secret), now)) is entry and again.count == 0  # fresh now


async def test_a_refresh_overtaken_by_another_change_stays_stale(acme, gateway, clock):
    created = await create_key(acme, allTimeLimit="1")
    secret, key_id = created["secret"], created["apiKey"]["id"]
    cache = KeyCache()
    now = to_micros(clock.now())
    entry = await cache.get(hash_secret(secret), now)
    numeric_id = entry.snapshot.key_id
    cache.on_change(changes.COUNTERS, numeric_id)
    original = key_counters.counters_of

    async def overtaken(*args, **kwargs):
        row = await original(*args, **kwargs)
        cache.on_change(changes.COUNTERS, numeric_id)  # more usage elsewhere while the refresh ran
        return row

    key_counters.counters_of = overtaken
    try:
        await cache.get(hash_secret(secret), now)
    finally:
        key_counters.counters_of = original
    assert entry.counters_stale
    await gateway.usage({"keyId": key_id, "requestId": "late", "cost": "0.3"})
    assert (await cache.get(hash_secret(secret), now)).usage == 300_000_000 and not entry.counters_stale
