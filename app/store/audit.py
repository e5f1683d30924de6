"""The audit log's table: every write adds its event with ``record`` inside its own transaction,
so a change that commits always has its event and one that rolls back leaves none."""
from __future__ import annotations

from app.domain.audit import Actor, AuditAction, Change, changes_to_json
from app.store import sql

PRUNE_BATCH = 1000


async def record(tx, *, org_id: int | None, actor: Actor, action: AuditAction, target_id: str | None,
                 project_id: int | None, changes: list[Change], now_us: int) -> None:
    """Add one event to the transaction ``tx`` (the same one as the change it describes)."""
    await sql.execute(
        tx,
        "INSERT INTO audit_events (org_id, occurred_at, action, actor_kind, actor_token_id, actor_label, target_id,"
        " project_id, changes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [org_id, now_us, action.value, actor.kind.value, actor.token_id, actor.label, target_id, project_id,
         changes_to_json(changes)],
    )


async def prune(conn, older_than_us: int, batch: int = PRUNE_BATCH, max_batches: int = 10) -> int:
    """Delete events older than the retention, ``batch`` rows per statement and at most ``max_batches``
    statements per call (the next housekeeping run goes on), so no delete holds locks for long."""
    deleted = 0
    for _ in range(max_batches):
        count = await sql.execute(
            conn,
            "DELETE FROM audit_events WHERE id IN"
            " (SELECT id FROM audit_events WHERE occurred_at < ? ORDER BY occurred_at LIMIT ?)",  # its index: no scan
            [older_than_us, batch],
        )
        deleted += count
        if count < batch:
            break
    return deleted
