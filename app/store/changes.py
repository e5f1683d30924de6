"""The change feed: every write that the data plane must see appends a row here, in the same
transaction as the write. Each instance polls the feed and drops what it cached about the
changed objects (see app/dataplane/cache.py); the writer also tells its own cache at once.
"""
from __future__ import annotations

from typing import Callable

from tortoise.backends.base.client import BaseDBAsyncClient

from app.store import sql

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


async def emit(tx: BaseDBAsyncClient, kind: str, ref_id: int | None, now_us: int) -> None:
    if kind != COUNTERS:
        await sql.execute(tx, "INSERT INTO changes (kind, ref_id, at) VALUES (?, ?, ?)", [kind, ref_id, now_us])
        return
    row = await sql.fetch_one(tx, "INSERT INTO changes (kind, ref_id, at) VALUES (?, ?, ?) RETURNING seq",
                              [kind, ref_id, now_us])
    if len(_own_counter_seqs) >= _MAX_OWN:  # the feed reads them within a poll; this never fills in practice
        _own_counter_seqs.clear()
    _own_counter_seqs.add(row["seq"])


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
    """Call after the transaction that emitted the change has committed."""
    for listener in list(_local_listeners):
        listener(kind, ref_id)
