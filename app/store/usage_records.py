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
