"""The raw usage log beyond what one batch writes (app/services/usage.py): pruning past the
retention, and reading a key's records in time order for export."""
from __future__ import annotations

from app.store import sql

PRUNE_BATCH = 1000


async def prune(conn, older_than_us: int, batch: int = PRUNE_BATCH, max_batches: int = 100) -> int:
    """Delete records that happened before ``older_than_us``, ``batch`` rows per statement and at most
    ``max_batches`` statements per call (the next housekeeping run goes on), so no delete holds locks
    for long. Only the log shrinks: totals, windows and rollups are separate rows and stay."""
    deleted = 0
    for _ in range(max_batches):
        count = await sql.execute(
            conn,
            "DELETE FROM usage_records WHERE id IN"
            " (SELECT id FROM usage_records WHERE occurred_at < ? ORDER BY occurred_at LIMIT ?)",
            [older_than_us, batch],
        )
        deleted += count
        if count < batch:
            break
    return deleted


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
    return await sql.fetch(
        conn,
        "SELECT id, request_id, occurred_at, model, provider, cost, source FROM usage_records"
        f" WHERE {where} ORDER BY occurred_at, id LIMIT ?",
        [*params, limit],
    )
