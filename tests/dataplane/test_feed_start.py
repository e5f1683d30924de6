"""The change feed at an instance's start: a change whose sequence number is below the newest one,
but which commits only after the instance started, is still applied there (PostgreSQL makes
sequence numbers visible out of order)."""
from __future__ import annotations

import asyncio

import pytest

from tortoise.transactions import in_transaction

from app.dataplane.feed import ChangeFeed, HOLE_PATIENCE_S
from app.domain.timeconv import to_micros
from app.store import changes, sql
from tests.conftest import backend

MINUTE_US = 60 * 1_000_000


class Applied:
    """What the feed hands to this instance's listeners (the keys' ref ids)."""

    def __init__(self) -> None:
        self.refs: list[int | None] = []

    def __call__(self, kind: str, ref_id: int | None) -> None:
        if kind == changes.KEY:  # the fixture's catalog seed is a change too
            self.refs.append(ref_id)

    def __enter__(self):
        changes.subscribe_local(self)
        return self

    def __exit__(self, *exc) -> None:
        changes.unsubscribe_local(self)


async def insert(seq: int, ref_id: int, at: int) -> None:
    await sql.execute(sql.client(), "INSERT INTO changes (seq, kind, ref_id, at) VALUES (?, ?, ?, ?)",
                      [seq, changes.KEY, ref_id, at])


async def test_a_lower_seq_committed_after_the_start_is_applied(database, clock):
    now = to_micros(clock.now())
    await sql.execute(sql.client(), "DELETE FROM changes")
    await insert(1, 101, now - 2 * MINUTE_US)  # long applied everywhere
    await insert(3, 103, now - 1_000_000)      # committed while seq 2 was still in flight
    feed = ChangeFeed(interval_ms=3_600_000, clock=clock)  # the test polls by itself
    await feed.start()
    try:
        with Applied() as applied:
            await feed.poll_once()
            assert applied.refs == [103]
            await insert(2, 102, now)  # the transaction that took seq 2 commits now
            await feed.poll_once()
            assert applied.refs == [103, 102]
            await feed.poll_once()
            assert applied.refs == [103, 102]  # each change once
    finally:
        await feed.stop()


async def test_numbers_older_than_the_hole_patience_are_not_waited_for(database, clock):
    now = to_micros(clock.now())
    await sql.execute(sql.client(), "DELETE FROM changes")
    await insert(5, 105, now - int(HOLE_PATIENCE_S + 5) * 1_000_000)
    await insert(9, 109, now - int(HOLE_PATIENCE_S + 1) * 1_000_000)
    feed = ChangeFeed(interval_ms=3_600_000, clock=clock)
    await feed.start()
    try:
        assert feed.last_seq == 9 and not feed.holes
    finally:
        await feed.stop()


async def another_instances_change(tx, key_id: int, now_us: int) -> None:
    """The feed row another instance's write appends (this process applies nothing itself)."""
    await sql.execute(tx, "INSERT INTO changes (kind, ref_id, at) VALUES (?, ?, ?)", [changes.KEY, key_id, now_us])


@pytest.mark.skipif(backend() != "postgres", reason="SQLite has one writer at a time: the first test simulates this")
async def test_on_postgres_a_transaction_open_across_the_start_is_applied_when_it_commits(database, clock):
    """The real thing on PostgreSQL: seq 1 taken in an open transaction, seq 2 committed, the feed
    starts, then seq 1 commits."""
    now = to_micros(clock.now())
    in_flight, release = asyncio.Event(), asyncio.Event()

    async def slow_writer() -> None:
        async with in_transaction() as tx:
            await another_instances_change(tx, 201, now)
            in_flight.set()
            await release.wait()

    writer = asyncio.create_task(slow_writer())
    await in_flight.wait()
    async with in_transaction() as tx:
        await another_instances_change(tx, 202, now)
    feed = ChangeFeed(interval_ms=3_600_000, clock=clock)
    await feed.start()
    try:
        with Applied() as applied:
            await feed.poll_once()
            release.set()
            await writer
            await feed.poll_once()
            assert sorted(applied.refs) == [201, 202]
    finally:
        await feed.stop()
