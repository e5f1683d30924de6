"""The change feed: every write that the data plane must see appends a row here, in the same
transaction as the write. Each instance polls the feed and drops what it cached about the
changed objects (see app/dataplane/cache.py); the writer also tells its own cache at once.
"""
from __future__ import annotations

from typing import Callable

from tortoise.backends.base.client import BaseDBAsyncClient

from app.store import sql

KEY = "key"
TOKEN = "token"
ORG = "org"
CATALOG = "catalog"

_local_listeners: list[Callable[[str, int | None], None]] = []


async def emit(tx: BaseDBAsyncClient, kind: str, ref_id: int | None, now_us: int) -> None:
    await sql.execute(tx, "INSERT INTO changes (kind, ref_id, at) VALUES (?, ?, ?)", [kind, ref_id, now_us])


def subscribe_local(listener: Callable[[str, int | None], None]) -> None:
    _local_listeners.append(listener)


def unsubscribe_local(listener: Callable[[str, int | None], None]) -> None:
    if listener in _local_listeners:
        _local_listeners.remove(listener)


def applied_locally(kind: str, ref_id: int | None) -> None:
    """Call after the transaction that emitted the change has committed."""
    for listener in list(_local_listeners):
        listener(kind, ref_id)
