"""What the data plane reads and writes about one key, as explicit SQL (both backends)."""
from __future__ import annotations

from dataclasses import dataclass

from app.domain import windows
from app.domain.decision import Counters, KeySnapshot, RequestState
from app.store import iam_rules, sql, usage_records

_KEY_COLUMNS = (
    "id, project_id, enabled, expires_at, all_time_limit, recurring_amount, recurring_value, recurring_unit,"
    " recurring_anchor, usage, last_used_at"
)


NEVER = 2**63 - 1  # a time after every other


@dataclass(frozen=True)
class CountersAfter:
    """What a committed usage transaction left one key's counters at (absolute values, not
    deltas: usage only grows, so the writer's cache keeps the larger of what it has and this)."""

    key_id: int
    usage: int
    window_usage: dict[int, int]  # window start -> usage of that window, for the windows it charged
    holds: tuple[dict[int | None, int], int] | None  # (open holds by window, first expiry) when it settled some


async def open_holds(conn, key_id: int, now_us: int) -> tuple[dict[int | None, int], int | None]:
    """A key's unexpired holds by the window they count in, and the first of their expiries."""
    rows = await sql.fetch(
        conn,
        "SELECT window_start, SUM(amount) AS amount, MIN(expires_at) AS first_expiry FROM holds"
        " WHERE key_id = ? AND expires_at > ? GROUP BY window_start",
        [key_id, now_us],
    )
    return ({r["window_start"]: int(r["amount"]) for r in rows},
            min((int(r["first_expiry"]) for r in rows), default=None))


async def key_row_by_hash(conn, key_hash: str, now_us: int) -> dict | None:
    """The key whose current secret has this hash, or whose previous secret (of a roll) has it and is
    still in its grace period. ``secret_expires_at``: when this secret stops working (None: it does not)."""
    return await sql.fetch_one(
        conn,
        f"SELECT {_KEY_COLUMNS}, NULL AS secret_expires_at FROM api_keys WHERE key_hash = ?"
        f" UNION ALL SELECT {_KEY_COLUMNS}, previous_key_expires_at AS secret_expires_at FROM api_keys"
        " WHERE previous_key_hash = ? AND previous_key_expires_at > ?",
        [key_hash, key_hash, now_us],
    )


async def key_row_by_id(conn, key_id: int) -> dict | None:
    return await sql.fetch_one(conn, f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE id = ?", [key_id])


async def snapshot_of(row: dict) -> KeySnapshot:
    rules = (await iam_rules.rules_for_keys([row["id"]]))[row["id"]]
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
    window = windows.stored_window(row["recurring_amount"], row["recurring_value"], row["recurring_unit"])
    if window is None:
        return None
    return windows.current_bounds(row["recurring_anchor"], window, now_us).start_us


_SEEN = ("(SELECT COUNT(*) FROM holds WHERE key_id = ? AND request_id = ? AND expires_at > ?) AS held_ids,"
         " (SELECT COUNT(*) FROM {request_ids} WHERE key_id = ? AND request_id = ?) AS settled_ids")


def _seen(conn) -> str:
    """Held and settled counts of one request id; settled ids are in usage_request_ids on PostgreSQL
    (its usage_records is partitioned: app/store/usage_records.py)."""
    return _SEEN.format(request_ids=usage_records.request_ids_table(conn))


def _state(found: dict) -> RequestState:
    if int(found["settled_ids"]):
        return RequestState.SETTLED
    return RequestState.HELD if int(found["held_ids"]) else RequestState.NEW


async def request_state(conn, key_id: int, request_id: str, now_us: int) -> RequestState:
    """Whether a request id holds budget or has its usage recorded: two unique-index look-ups, one round trip."""
    found = await sql.fetch_one(conn, f"SELECT {_seen(conn)}", [key_id, request_id, now_us, key_id, request_id])
    return _state(found)


async def counters_under_lock(conn, row: dict, now_us: int, request_id: str) -> tuple[Counters, int | None, RequestState]:
    """Usage and open (unexpired) holds of a key, all-time and in its current window, and what is
    known of this request id (held, settled): one round trip."""
    start = window_start_of(row, now_us)
    key_id = row["id"]
    window = "0 AS window_held, 0 AS window_usage"
    params: list = [key_id, now_us]
    if start is not None:
        window = ("(SELECT COALESCE(SUM(amount), 0) FROM holds WHERE key_id = ? AND expires_at > ? AND window_start = ?)"
                  " AS window_held,"
                  " (SELECT COALESCE(SUM(usage), 0) FROM usage_windows WHERE key_id = ? AND window_start = ?) AS window_usage")
        params += [key_id, now_us, start, key_id, start]
    params += [key_id, request_id, now_us, key_id, request_id]
    found = await sql.fetch_one(
        conn,
        "SELECT (SELECT COALESCE(SUM(amount), 0) FROM holds WHERE key_id = ? AND expires_at > ?) AS held, "
        + window + ", " + _seen(conn),
        params,
    )
    counters = Counters(usage=row["usage"], held=int(found["held"]), window_usage=int(found["window_usage"]),
                        window_held=int(found["window_held"]))
    return counters, start, _state(found)


async def take_hold(conn, key_id: int, request_id: str, amount: int, window_start: int | None, expires_at: int) -> None:
    # an expired hold of the same request id is replaced
    await sql.execute(
        conn,
        "INSERT INTO holds (key_id, request_id, amount, window_start, expires_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (key_id, request_id) DO UPDATE SET amount = excluded.amount,"
        " window_start = excluded.window_start, expires_at = excluded.expires_at",
        [key_id, request_id, amount, window_start, expires_at],
    )


async def lock_and_read(conn, key_id: int) -> dict | None:
    """Serialize hold-takers of one key (a row lock on PostgreSQL, the write lock on SQLite) until the
    transaction ends, and read the key under that lock; None when the key is gone. Changes nothing."""
    return await sql.fetch_one(conn, f"UPDATE api_keys SET usage = usage WHERE id = ? RETURNING {_KEY_COLUMNS}", [key_id])


async def purge_expired_holds(conn, now_us: int) -> int:
    """Expired holds never count (every sum asks ``expires_at > now``); this only keeps the table small."""
    return await sql.execute(conn, "DELETE FROM holds WHERE expires_at <= ?", [now_us])
