"""Group commit: requests that arrive while a transaction is being written wait for the next
one, which carries all of them.

A gateway sends one `/v1/usage` per LLM request. One transaction per request is bounded by
the database's commit rate (on SQLite, by aiosqlite's worker thread), so under load the
writes queue up. Here the first request of an idle instance is written at once, alone; the
requests that arrive meanwhile are written together by the next transaction, up to
``max_items`` items. Each caller is answered only after the transaction that carried its
items committed; when it fails, every caller in it gets the exception (none is told its
items were recorded). Whole requests are never split across transactions.
"""
from __future__ import annotations

import asyncio
from collections import deque
from typing import Awaitable, Callable, Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupCommit(Generic[Item, Result]):
    def __init__(self, write: Callable[[list[Item]], Awaitable[list[Result]]], max_items: int = 1000,
                 on_group: Callable[[int], None] | None = None) -> None:
        """``write`` records a list of items in one transaction and returns one result per item, in order;
        ``on_group`` is told the number of items of each transaction (metrics)."""
        self._write = write
        self._on_group = on_group
        self._max_items = max_items
        self._waiting: deque[tuple[list[Item], asyncio.Future[list[Result]]]] = deque()
        self._writer: asyncio.Task | None = None
        self.transactions = 0  # how many transactions were written (for tests and metrics)

    @property
    def queued(self) -> int:
        """How many requests wait for the next transaction."""
        return len(self._waiting)

    async def submit(self, items: list[Item]) -> list[Result]:
        """Write ``items`` with whatever else is waiting; their results once it committed."""
        future: asyncio.Future[list[Result]] = asyncio.get_running_loop().create_future()
        # a caller that went away never reads its outcome: mark it read, so asyncio does not warn
        future.add_done_callback(lambda f: f.cancelled() or f.exception())
        self._waiting.append((items, future))
        if self._writer is None:
            # a task of its own: a caller that goes away (client disconnect) does not stop the others' write
            self._writer = asyncio.create_task(self._write_while_waiting())
        return await asyncio.shield(future)

    def _next_group(self) -> list[tuple[list[Item], asyncio.Future[list[Result]]]]:
        group = [self._waiting.popleft()]
        size = len(group[0][0])
        while self._waiting and size + len(self._waiting[0][0]) <= self._max_items:
            items, future = self._waiting.popleft()
            group.append((items, future))
            size += len(items)
        return group

    async def _write_while_waiting(self) -> None:
        try:
            while self._waiting:
                group = self._next_group()
                items_of_group = [item for items, _ in group for item in items]
                if self._on_group is not None:
                    self._on_group(len(items_of_group))
                try:
                    results = await self._write(items_of_group)
                except BaseException as exc:  # noqa: BLE001 - handed to every caller of the group
                    for _, future in group:
                        if not future.done():
                            future.set_exception(exc)
                    if isinstance(exc, asyncio.CancelledError):
                        raise
                    continue
                finally:
                    self.transactions += 1
                offset = 0
                for items, future in group:
                    if not future.done():
                        future.set_result(results[offset:offset + len(items)])
                    offset += len(items)
        finally:
            self._writer = None
            for _, future in self._waiting:  # only if this task itself was cancelled
                if not future.done():
                    future.set_exception(RuntimeError("group commit stopped"))
            self._waiting.clear()

    async def drain(self) -> None:
        """Wait until every submitted item is written (at shutdown)."""
        while self._writer is not None:
            await asyncio.shield(self._writer)
