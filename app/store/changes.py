"""The change feed: every write that the data plane must see appends a row here, in the same
transaction as the write. Each instance polls the feed and drops what it cached about the
changed objects (see app/dataplane/cache.py); the writer also tells its own cache at once.

Every write goes through one construct, ``write()``: a transaction in which ``emit`` records
each change (a feed row, in the transaction) and ``after_commit`` anything else to do once it
has committed; when it commits, this instance's caches apply the changes, then the callbacks
run; when it rolls back, nothing is applied. ``emit`` outside a ``write()`` is a bug and
raises, so no change can reach the feed and silently miss this instance's caches.
"""
from __future__ import annotations

import contextlib
from typing import AsyncIterator, Awaitable, Callable, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from app.store import one_hop, sql

T = TypeVar("T")

KEY = "key"            # a key's settings changed (or it was created or deleted)
COUNTERS = "counters"  # only a key's usage or holds changed: its writer updates its cache in place
TOKEN = "token"
ORG = "org"
CATALOG = "catalog"

_local_listeners: list[Callable[[str, int | None], None]] = []
_counter_listeners: list[Callable[[list], None]] = []
# sequence numbers of COUNTERS changes this process wrote: it applied them in place already,
# and its feed must not drop the entries it just brought up to date
_own_counter_seqs: set[int] = set()
_MAX_OWN = 100_000


class _Pending:
    """What a ``write()`` applies once its transaction has committed."""

    def __init__(self) -> None:
        self.changes: list[tuple[str, int | None]] = []
        self.callbacks: list[Callable[[], None]] = []
        self.counter_keys: set[int] = set()  # COUNTERS changes, written when the body ends (emit_counters)
        self.counters_at = 0

    def apply(self) -> None:
        """After the commit: this instance's caches take the changes, then the callbacks run."""
        for kind, ref_id in self.changes:
            applied_locally(kind, ref_id)
        for callback in self.callbacks:
            callback()


_PENDING = "_keyplane_pending"  # the attribute of a write()'s transaction holding its _Pending


@contextlib.asynccontextmanager
async def write() -> AsyncIterator[BaseDBAsyncClient]:
    """A transaction whose changes reach this instance's caches after it commits (see above)."""
    pending = _Pending()
    async with in_transaction() as tx:
        setattr(tx, _PENDING, pending)
        yield tx
        await _write_counters(tx, pending)
    pending.apply()


async def write_at_once(body: Callable[[BaseDBAsyncClient], Awaitable[T]]) -> T:
    """``write()`` for a transaction whose body awaits nothing but its own statements (the data
    plane's usage batches and groups of holds): on SQLite it runs whole in one hop to the
    database's thread (app/store/one_hop.py). Returns what ``body(tx)`` returns."""
    pending = _Pending()

    async def with_pending(tx: BaseDBAsyncClient) -> T:
        setattr(tx, _PENDING, pending)
        result = await body(tx)
        await _write_counters(tx, pending)
        return result

    result = await one_hop.transaction(with_pending)
    pending.apply()
    return result


def _pending_of(tx: BaseDBAsyncClient) -> _Pending:
    pending = getattr(tx, _PENDING, None)
    if pending is None:
        raise RuntimeError("a change outside changes.write(): it would never reach this instance's caches")
    return pending


def after_commit(tx: BaseDBAsyncClient, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the write()'s transaction has committed (not at all if it rolls back)."""
    _pending_of(tx).callbacks.append(callback)


async def emit(tx: BaseDBAsyncClient, kind: str, ref_id: int | None, now_us: int) -> None:
    """Append a change to the feed inside ``tx`` (a ``write()``); this instance applies it after the
    commit. COUNTERS are not applied that way: their writer updates its cache in place
    (``after_commit``), and its own feed skips them."""
    pending = _pending_of(tx)
    if kind != COUNTERS:
        await sql.execute(tx, "INSERT INTO changes (kind, ref_id, at) VALUES (?, ?, ?)", [kind, ref_id, now_us])
        pending.changes.append((kind, ref_id))
        return
    await emit_counters(tx, [ref_id], now_us)


async def emit_counters(tx: BaseDBAsyncClient, key_ids: list[int], now_us: int) -> None:
    """``emit(tx, COUNTERS, key_id, now_us)`` for each key. The rows are written when the body of the
    ``write()`` ends, still in its transaction: one row per key and one statement per transaction
    however many parts of it (a group's usage and its holds) changed counters."""
    pending = _pending_of(tx)
    pending.counter_keys.update(key_ids)
    pending.counters_at = max(pending.counters_at, now_us)


async def _write_counters(tx: BaseDBAsyncClient, pending: _Pending) -> None:
    if not pending.counter_keys:
        return
    key_ids = sorted(pending.counter_keys)
    rows = await sql.fetch(tx, f"INSERT INTO changes (kind, ref_id, at) VALUES {', '.join('(?, ?, ?)' for _ in key_ids)}"
                           " RETURNING seq", [v for key_id in key_ids for v in (COUNTERS, key_id, pending.counters_at)])
    _remember_own(row["seq"] for row in rows)


async def newest_seq_at_or_before(at_us: int) -> int:
    """The highest seq of a row written at or before ``at_us``; 0 when there is none."""
    row = await sql.fetch_one(sql.client(), "SELECT MAX(seq) AS seq FROM changes WHERE at <= ?", [at_us])
    return (row or {}).get("seq") or 0


async def read_after(last_seq: int, holes: list[int], limit: int) -> list[dict]:
    """Rows (seq, kind, ref_id, at) after ``last_seq``, and those of the numbers in ``holes`` (skipped
    over earlier: on PostgreSQL a lower seq can commit after a higher one), in seq order, at most
    ``limit`` of them. One statement whatever the number of holes."""
    params: list = [last_seq]
    where = "seq > ?"
    if holes:
        where += f" OR seq IN ({', '.join('?' for _ in holes)})"
        params += holes
    return await sql.fetch(
        sql.client(), f"SELECT seq, kind, ref_id, at FROM changes WHERE {where} ORDER BY seq LIMIT {limit}", params
    )


async def prune(before_us: int) -> None:
    """Drop rows written before ``before_us``, but never the newest: an instance starting later begins
    after it (app/dataplane/feed.py), so it must stay for a number just above it to be caught."""
    await sql.execute(sql.client(), "DELETE FROM changes WHERE at < ? AND seq < (SELECT MAX(seq) FROM changes)",
                      [before_us])


def _remember_own(seqs) -> None:
    if len(_own_counter_seqs) >= _MAX_OWN:  # the feed reads them within a poll; this never fills in practice
        _own_counter_seqs.clear()
    _own_counter_seqs.update(seqs)


def written_here(seq: int) -> bool:
    """Whether this process wrote that COUNTERS change (and so applied it already)."""
    if seq in _own_counter_seqs:
        _own_counter_seqs.discard(seq)
        return True
    return False


def subscribe_counters(listener: Callable[[list], None]) -> None:
    _counter_listeners.append(listener)


def unsubscribe_counters(listener: Callable[[list], None]) -> None:
    if listener in _counter_listeners:
        _counter_listeners.remove(listener)


def counted_locally(counters_after: list) -> None:
    """Call after a usage transaction committed, with what it left each key's counters at."""
    for listener in list(_counter_listeners):
        listener(counters_after)


def subscribe_local(listener: Callable[[str, int | None], None]) -> None:
    _local_listeners.append(listener)


def unsubscribe_local(listener: Callable[[str, int | None], None]) -> None:
    if listener in _local_listeners:
        _local_listeners.remove(listener)


def applied_locally(kind: str, ref_id: int | None) -> None:
    """A change this instance must apply: after a write() commits, or reported by the feed."""
    for listener in list(_local_listeners):
        listener(kind, ref_id)
