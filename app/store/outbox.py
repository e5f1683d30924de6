"""The webhook outbox and the alert firings, as explicit SQL (both backends).

Every event row is written inside the transaction of the change that caused it (usage, roll,
delete), so it commits with that change or not at all. Deliverers claim due rows with one
statement that also pushes their next attempt a lease ahead: a claim that dies with its
process (SIGKILL) is claimed again once the lease has passed, and two deliverers never claim
the same attempt (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the write lock on SQLite).
"""
from __future__ import annotations

import secrets
from typing import Callable

from app.domain import ids
from app.domain.alerts import Alert, EventType
from app.domain.webhooks import alert_data, body, events_from_text
from app.store import sql

_wakers: list[Callable[[], None]] = []


def subscribe_wake(waker: Callable[[], None]) -> None:
    _wakers.append(waker)


def unsubscribe_wake(waker: Callable[[], None]) -> None:
    if waker in _wakers:
        _wakers.remove(waker)


def wake() -> None:
    """After a commit that wrote deliveries: this process's deliverers look at once, not at their next poll."""
    for waker in list(_wakers):
        waker()


def new_event_id() -> str:
    return "msg_" + secrets.token_urlsafe(18)


async def enqueue(tx, project_id: int, event_type: EventType, data: dict, now_us: int) -> int:
    """One delivery per enabled webhook of the project subscribed to ``event_type``; how many were written."""
    hooks = await sql.fetch(tx, "SELECT id, org_id, events FROM webhooks WHERE project_id = ? AND enabled = ?",
                            [project_id, True])
    written = 0
    for hook in hooks:
        if event_type not in events_from_text(hook["events"]):
            continue
        await sql.execute(
            tx,
            "INSERT INTO webhook_deliveries (webhook_id, org_id, event_id, event_type, body, created_at, attempts,"
            " next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?)",
            [hook["id"], hook["org_id"], new_event_id(), event_type.value, body(event_type, now_us, data), now_us, now_us],
        )
        written += 1
    return written


async def fire_alerts(tx, key_id: int, project_id: int, alerts: list[Alert], now_us: int) -> int:
    """Insert the reached alerts; those not there yet fire: their deliveries join the outbox. The
    primary key of alert_firings decides, so concurrent transactions on any instances fire each once."""
    if not alerts:
        return 0
    rows = await sql.fetch(
        tx,
        "INSERT INTO alert_firings (key_id, limit_kind, window_start, amount, event_type, threshold, fired_at) VALUES "
        + ", ".join("(?, ?, ?, ?, ?, ?, ?)" for _ in alerts)
        + " ON CONFLICT DO NOTHING RETURNING limit_kind, window_start, amount, event_type, threshold",
        [v for a in alerts for v in (key_id, a.kind.value, a.window_start, a.amount, a.event_type.value, a.threshold, now_us)],
    )
    fired = {(r["limit_kind"], int(r["window_start"]), int(r["amount"]), r["event_type"], int(r["threshold"])) for r in rows}
    written = 0
    key_gid, project_gid = ids.encode("ApiKey", key_id), ids.encode("Project", project_id)
    for alert in alerts:  # in the order alerts_for gave them: thresholds before the limit
        if (alert.kind.value, alert.window_start, alert.amount, alert.event_type.value, alert.threshold) in fired:
            written += await enqueue(tx, project_id, alert.event_type, alert_data(key_gid, project_gid, alert), now_us)
    return written


_DUE = "SELECT id FROM webhook_deliveries WHERE next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?"
_CLAIM = ("UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = ? WHERE id IN ({due})"
          " RETURNING id, webhook_id, event_id, event_type, body, created_at, attempts")


async def any_due(conn, now_us: int) -> bool:
    """A read (no write lock on SQLite): most polls find nothing and should cost nothing else."""
    return await sql.fetch_one(conn, _DUE, [now_us, 1]) is not None


async def claim_due(conn, now_us: int, lease_until: int, limit: int) -> list[dict]:
    """Claim up to ``limit`` due deliveries for one attempt each, with the url and secret of their webhook."""
    due = _DUE + (" FOR UPDATE SKIP LOCKED" if sql.is_postgres(conn) else "")
    claimed = await sql.fetch(conn, _CLAIM.format(due=due), [lease_until, now_us, limit])
    if not claimed:
        return []
    hook_ids = sorted({row["webhook_id"] for row in claimed})
    hooks = await sql.fetch(conn, f"SELECT id, url, secret, enabled FROM webhooks WHERE id IN ({', '.join('?' for _ in hook_ids)})",
                            hook_ids)
    by_id = {hook["id"]: hook for hook in hooks}
    found = []
    for row in claimed:
        hook = by_id.get(row["webhook_id"])
        if hook is not None:  # deleted meanwhile: its deliveries went with it
            found.append({**row, "url": hook["url"], "secret": hook["secret"], "enabled": bool(hook["enabled"])})
    return found


async def finish_attempt(conn, delivery_id: int, attempts: int, *, status: int | None, error: str | None,
                         delivered_at: int | None, next_attempt_at: int | None) -> bool:
    """Record the outcome of attempt number ``attempts``; False when that attempt is no longer ours
    (its lease passed and another deliverer claimed it again)."""
    changed = await sql.execute(
        conn,
        "UPDATE webhook_deliveries SET last_status = ?, last_error = ?, delivered_at = ?, next_attempt_at = ?"
        " WHERE id = ? AND attempts = ? AND delivered_at IS NULL",
        [status, None if error is None else error[:200], delivered_at, next_attempt_at, delivery_id, attempts],
    )
    return changed == 1


async def schedule_now(conn, delivery_id: int, now_us: int) -> None:
    """Resend: attempt the delivery again at once (same event id), whatever happened to it before."""
    await sql.execute(conn, "UPDATE webhook_deliveries SET next_attempt_at = ?, delivered_at = NULL WHERE id = ?",
                      [now_us, delivery_id])



PRUNE_BATCH = 1000


async def prune(conn, older_than_us: int, batch: int = PRUNE_BATCH, max_batches: int = 10) -> int:
    """Drop finished deliveries (delivered, or given up: no next attempt) of events older than the
    retention, in bounded batches like the audit log's; pending ones are never dropped."""
    deleted = 0
    for _ in range(max_batches):
        count = await sql.execute(
            conn,
            "DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries"
            " WHERE created_at < ? AND next_attempt_at IS NULL ORDER BY id LIMIT ?)",
            [older_than_us, batch],
        )
        deleted += count
        if count < batch:
            break
    return deleted
