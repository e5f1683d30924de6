"""The webhooks table's row lock, for a change that reads the webhook under it."""
from __future__ import annotations

from app.store import sql


async def lock_webhook(tx, webhook_id: int, org_id: int) -> bool:
    """Lock the webhook's row until ``tx`` ends; False when the organization has no such webhook. A
    write that changes nothing, first (the row lock on PostgreSQL, the write lock on SQLite), then the
    caller's read: the audit's "before" is exactly what the change replaces."""
    locked = await sql.execute(tx, "UPDATE webhooks SET enabled = enabled WHERE id = ? AND org_id = ?",
                               [webhook_id, org_id])
    return locked == 1
