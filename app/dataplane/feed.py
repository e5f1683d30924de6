"""Polls the change feed so that every instance applies every change within a second.

Each write appends to ``changes`` in its own transaction (app/store/changes.py). This loop
reads the rows after the last one it saw, every ``poll_interval_ms``, and hands each to the
same listeners that local writes notify at once. On PostgreSQL, sequence numbers can
become visible out of order (a transaction that took seq 10 may commit after the one that
took 11), so numbers skipped over are re-checked for a while before they are given up.
That holds at start too: an instance does not begin at ``MAX(seq)`` (a lower number still in
flight would never be applied there) but after the newest row older than the hole patience, so
every number above it is either read or re-checked as a hole.
"""
from __future__ import annotations

import asyncio
import logging
import time

from app.domain.timeconv import to_micros
from app.store import changes

log = logging.getLogger("keyplane.feed")
HOLE_PATIENCE_S = 30.0
BATCH = 1000
KEEP_CHANGES_US = 3600 * 1_000_000  # rows older than this are pruned


class ChangeFeed:
    def __init__(self, interval_ms: int, on_tick=None, clock=None, skips_own_counters: bool = False) -> None:
        """``clock``: the one the writers stamp ``changes.at`` with (the app's); default: the system's.
        ``skips_own_counters``: the feed of the app whose writes this process makes, which applied
        its own COUNTERS changes in place when they committed (app/store/changes.py)."""
        self.interval = interval_ms / 1000
        self.skips_own_counters = skips_own_counters
        self.clock = clock
        self.last_seq = 0
        self.holes: dict[int, float] = {}
        self.on_tick = on_tick
        self.lag_seconds = 0.0
        self.healthy = True
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self.last_seq = await self.start_position()
        self._task = asyncio.create_task(self._run())

    async def start_position(self) -> int:
        """The newest seq whose row is older than the hole patience: every transaction that took a lower
        number has had that long to commit, as for holes later on. Rows above it are applied once more
        (harmless: applying a change only drops cache entries) and numbers missing above it become
        holes. Without such a row (a young database), from the beginning."""
        now_us = to_micros(self.clock.now()) if self.clock is not None else int(time.time() * 1_000_000)
        cutoff = now_us - int(HOLE_PATIENCE_S * 1_000_000)
        return await changes.newest_seq_at_or_before(cutoff)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.poll_once()
                if self.on_tick is not None:
                    await self.on_tick()
                self.healthy = True
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database may be briefly unreachable: keep polling
                self.healthy = False
                log.warning("change feed poll failed: %s", type(exc).__name__)

    async def poll_once(self) -> int:
        rows = await changes.read_after(self.last_seq, sorted(self.holes), BATCH)
        now = time.monotonic()
        for row in rows:
            seq = row["seq"]
            self.holes.pop(seq, None)
            if seq > self.last_seq:
                for missing in range(self.last_seq + 1, seq):
                    self.holes[missing] = now
                self.last_seq = seq
            if row["kind"] == changes.COUNTERS and self.skips_own_counters and changes.written_here(seq):
                continue  # this process applied it in place when it committed
            changes.applied_locally(row["kind"], row["ref_id"])
        for seq, seen in list(self.holes.items()):
            if now - seen > HOLE_PATIENCE_S:
                del self.holes[seq]
        if rows:
            self.lag_seconds = max(0.0, time.time() - rows[-1]["at"] / 1_000_000)
        return len(rows)


async def prune(now_us: int) -> None:
    """Drop rows older than an hour, but keep the newest: an instance starting later begins after it
    (ChangeFeed.start_position), so a number taken just above it but not yet committed is still caught."""
    await changes.prune(now_us - KEEP_CHANGES_US)
