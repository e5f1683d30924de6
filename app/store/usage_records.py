"""The raw usage log: inserting a batch's new records once per (key, request id), pruning past
the retention, and reading a key's records in time order for export.

On SQLite the unique (key_id, request_id) of ``usage_records`` itself says which request ids
are new. On PostgreSQL the table is partitioned by month (migration 8), and a partitioned
table's unique index must hold the partition key, so the ids live in ``usage_request_ids``,
claimed first in the same transaction.
"""
from __future__ import annotations

from app.store import sql

PRUNE_BATCH = 1000
_CHUNK = 400  # rows per multi-row INSERT: 8 parameters each stays far below every backend's limit
_COLUMNS = "key_id, request_id, occurred_at, recorded_at, model, provider, cost, source"
# a VALUES row of those columns typed (in a WITH clause PostgreSQL would take the parameters as text)
_TYPED_ROW = ("(CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS TEXT),"
              " CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS TEXT))")


def request_ids_table(conn) -> str:
    """The table whose unique (key_id, request_id) says which request ids are recorded."""
    return "usage_request_ids" if sql.is_postgres(conn) else "usage_records"


async def insert_new(tx, rows: list[tuple]) -> set[tuple[int, str]]:
    """Insert the rows (in ``_COLUMNS`` order) whose (key, request id) is not recorded yet; returns
    the (key, request id) pairs inserted. Rows come in (key, request id) order (no lock cycles)."""
    inserted: set[tuple[int, str]] = set()
    postgres = sql.is_postgres(tx)
    for chunk in sql.chunks(rows, _CHUNK):
        if postgres:
            # one statement: claim the new ids, insert the records of those claimed (a round trip
            # less per usage batch than two statements)
            recorded = await sql.fetch(
                tx,
                f"WITH v ({_COLUMNS}) AS (VALUES {', '.join(_TYPED_ROW for _ in chunk)}),"
                " claimed AS (INSERT INTO usage_request_ids (key_id, request_id, occurred_at)"
                " SELECT key_id, request_id, occurred_at FROM v"
                " ON CONFLICT (key_id, request_id) DO NOTHING RETURNING key_id, request_id)"
                f" INSERT INTO usage_records ({_COLUMNS}) SELECT v.* FROM v"
                " JOIN claimed ON claimed.key_id = v.key_id AND claimed.request_id = v.request_id"
                " RETURNING key_id, request_id",
                [value for row in chunk for value in row],
            )
            inserted.update((r["key_id"], r["request_id"]) for r in recorded)
        else:
            written = await sql.fetch(
                tx,
                f"INSERT INTO usage_records ({_COLUMNS}) VALUES {', '.join('(?, ?, ?, ?, ?, ?, ?, ?)' for _ in chunk)}"
                " ON CONFLICT (key_id, request_id) DO NOTHING RETURNING key_id, request_id",
                [value for row in chunk for value in row],
            )
            inserted.update((r["key_id"], r["request_id"]) for r in written)
    return inserted


async def delete(tx, pairs: set[tuple[int, str]]) -> None:
    """Take back the records (and on PostgreSQL the request ids) of events refused after their insert."""
    for key_id, request_id in sorted(pairs):
        await sql.execute(tx, "DELETE FROM usage_records WHERE key_id = ? AND request_id = ?", [key_id, request_id])
        if sql.is_postgres(tx):
            await sql.execute(tx, "DELETE FROM usage_request_ids WHERE key_id = ? AND request_id = ?", [key_id, request_id])


async def prune(conn, older_than_us: int, batch: int = PRUNE_BATCH, max_batches: int = 100) -> int:
    """Delete records that happened before ``older_than_us``, ``batch`` rows per statement and at most
    ``max_batches`` statements per call (the next housekeeping run goes on), so no delete holds locks
    for long. Only the log shrinks: totals, windows and rollups are separate rows and stay. (On
    PostgreSQL whole months go first, by dropping their partitions: app/store/partitions.py.)"""
    deleted = 0
    for _ in range(max_batches):
        count = await sql.execute(
            conn,
            "DELETE FROM usage_records WHERE occurred_at < ? AND id IN"
            " (SELECT id FROM usage_records WHERE occurred_at < ? ORDER BY occurred_at LIMIT ?)",
            [older_than_us, older_than_us, batch],
        )
        deleted += count
        if count < batch:
            break
    if sql.is_postgres(conn):
        await _prune_request_ids(conn, older_than_us, batch, max_batches)
    return deleted


async def _prune_request_ids(conn, older_than_us: int, batch: int, max_batches: int) -> None:
    """The ids go with their records: an event that old is refused as too old (app/domain/retention.py)."""
    for _ in range(max_batches):
        count = await sql.execute(
            conn,
            "DELETE FROM usage_request_ids WHERE (key_id, request_id) IN (SELECT key_id, request_id"
            " FROM usage_request_ids WHERE occurred_at < ? ORDER BY occurred_at LIMIT ?)",
            [older_than_us, batch],
        )
        if count < batch:
            break


async def in_time_order(conn, key_id: int, from_us: int, to_us: int, after: tuple[int, int] | None,
                        limit: int) -> list[dict]:
    """Up to ``limit`` records of a key with from ≤ occurred_at < to, oldest first (then by arrival),
    after the position ``(occurred_at, id)`` of the last one already read: keyset pagination on the
    (key_id, occurred_at, id) index, so each batch costs the same however far the export got."""
    params: list = [key_id, from_us, to_us]
    where = "key_id = ? AND occurred_at >= ? AND occurred_at < ?"
    if after is not None:
        where += " AND (occurred_at > ? OR (occurred_at = ? AND id > ?))"
        params += [after[0], after[0], after[1]]
    return await sql.fetch(conn, f"{_RECORD} WHERE {where} ORDER BY occurred_at, id LIMIT ?", [*params, limit])


_RECORD = "SELECT id, request_id, occurred_at, model, provider, cost, source FROM usage_records"


async def get_in_org(conn, record_id: int, org_id: int) -> dict | None:
    """One record, if it belongs to a key of that organization."""
    return await sql.fetch_one(
        conn,
        "SELECT u.id, u.request_id, u.occurred_at, u.model, u.provider, u.cost, u.source FROM usage_records u"
        " JOIN api_keys k ON k.id = u.key_id WHERE u.id = ? AND k.org_id = ?",
        [record_id, org_id],
    )


async def newest_first(conn, key_id: int, before: tuple[int, int] | None, limit: int) -> list[dict]:
    """Up to ``limit`` records of a key, newest first (by when the request happened, then by
    arrival), before the position ``(occurred_at, id)`` of the last one already read."""
    params: list = [key_id]
    where = "key_id = ?"
    if before is not None:
        where += " AND (occurred_at < ? OR (occurred_at = ? AND id < ?))"
        params += [before[0], before[0], before[1]]
    return await sql.fetch(conn, f"{_RECORD} WHERE {where} ORDER BY occurred_at DESC, id DESC LIMIT ?", [*params, limit])
