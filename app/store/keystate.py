"""What the data plane reads and writes about one key, as explicit SQL (both backends)."""
from __future__ import annotations

from app.domain.decision import Counters, KeySnapshot
from app.services import iam, periods
from app.store import sql

_KEY_COLUMNS = (
    "id, project_id, enabled, expires_at, all_time_limit, recurring_amount, recurring_value, recurring_unit,"
    " recurring_anchor, usage, last_used_at, version"
)


async def key_row_by_hash(conn, key_hash: str) -> dict | None:
    return await sql.fetch_one(conn, f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE key_hash = ?", [key_hash])


async def key_row_by_id(conn, key_id: int) -> dict | None:
    return await sql.fetch_one(conn, f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE id = ?", [key_id])


async def snapshot_of(row: dict) -> KeySnapshot:
    rules = (await iam.rules_for_keys([row["id"]]))[row["id"]]
    return snapshot_from(row, tuple(rules))


def snapshot_from(row: dict, rules: tuple) -> KeySnapshot:
    return KeySnapshot(
        key_id=row["id"],
        project_id=row["project_id"],
        enabled=bool(row["enabled"]),
        expires_at=row["expires_at"],
        all_time_limit=row["all_time_limit"],
        recurring_amount=row["recurring_amount"],
        rules=rules,
    )


def window_start_of(row: dict, now_us: int) -> int | None:
    if row["recurring_amount"] is None:
        return None
    from app.domain import windows

    window = windows.Window(row["recurring_value"], windows.WindowUnit(row["recurring_unit"]))
    return periods.current_bounds(row["recurring_anchor"], window, now_us).start_us


async def counters_of(conn, row: dict, now_us: int) -> tuple[Counters, int | None]:
    """Usage and open (unexpired) holds of a key, all-time and in its current window."""
    start = window_start_of(row, now_us)
    held_rows = await sql.fetch(
        conn,
        "SELECT window_start, SUM(amount) AS amount FROM holds WHERE key_id = ? AND expires_at > ? GROUP BY window_start",
        [row["id"], now_us],
    )
    held = sum(int(r["amount"]) for r in held_rows)
    window_held = sum(int(r["amount"]) for r in held_rows if start is not None and r["window_start"] == start)
    window_usage = 0
    if start is not None:
        found = await sql.fetch_one(
            conn, "SELECT usage FROM usage_windows WHERE key_id = ? AND window_start = ?", [row["id"], start]
        )
        window_usage = found["usage"] if found else 0
    return Counters(usage=row["usage"], held=held, window_usage=window_usage, window_held=window_held), start


async def has_request(conn, key_id: int, request_id: str, now_us: int) -> bool:
    """True when this request id already holds budget or has its usage recorded."""
    found = await sql.fetch_one(
        conn,
        "SELECT 1 AS one FROM holds WHERE key_id = ? AND request_id = ? AND expires_at > ?"
        " UNION ALL SELECT 1 AS one FROM usage_records WHERE key_id = ? AND request_id = ?",
        [key_id, request_id, now_us, key_id, request_id],
    )
    return found is not None


async def take_hold(conn, key_id: int, request_id: str, amount: int, window_start: int | None, expires_at: int) -> None:
    # an expired hold of the same request id is replaced
    await sql.execute(
        conn,
        "INSERT INTO holds (key_id, request_id, amount, window_start, expires_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (key_id, request_id) DO UPDATE SET amount = excluded.amount,"
        " window_start = excluded.window_start, expires_at = excluded.expires_at",
        [key_id, request_id, amount, window_start, expires_at],
    )


async def lock_key(conn, key_id: int) -> bool:
    """Serialize hold-takers of one key (a row lock on PostgreSQL, the write lock on SQLite) until the
    transaction ends; False when the key is gone. The statement changes nothing."""
    changed = await sql.execute(conn, "UPDATE api_keys SET usage = usage WHERE id = ?", [key_id])
    return changed == 1


async def mark_used(conn, key_id: int, now_us: int) -> None:
    await sql.execute(
        conn,
        "UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)",
        [now_us, key_id, now_us],
    )


async def purge_expired_holds(conn, key_id: int, now_us: int) -> None:
    await sql.execute(conn, "DELETE FROM holds WHERE key_id = ? AND expires_at <= ?", [key_id, now_us])
