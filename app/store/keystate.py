"""What the data plane reads and writes about one key, as explicit SQL (both backends)."""
from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

from app.domain import windows
from app.domain.decision import Counters, KeySnapshot, RequestState
from app.store import iam_rules, sql, usage_records

_KEY_COLUMNS = (
    "id, project_id, enabled, expires_at, all_time_limit, recurring_amount, recurring_value, recurring_unit,"
    " recurring_anchor, usage, last_used_at, created_at"
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


def _marks(count: int, mark: str) -> str:
    return ", ".join(mark for _ in range(count))


# a (key id, request id) pair in a VALUES list: PostgreSQL must be told the key id is a number
_PAIR = "(CAST(? AS BIGINT), ?)"  # (key id, request id) in a VALUES list
_INT_PAIR = "(CAST(? AS BIGINT), CAST(? AS BIGINT))"  # (key id, a number) in a VALUES list


async def open_holds_many(conn, key_ids: list[int], now_us: int) -> dict[int, tuple[dict[int | None, int], int | None]]:
    """Per key: its unexpired holds by the window they count in, and the first of their expiries
    (keys without open holds are left out). One statement for any number of keys."""
    if not key_ids:
        return {}
    rows = await sql.fetch(
        conn,
        "SELECT key_id, window_start, SUM(amount) AS amount, MIN(expires_at) AS first_expiry FROM holds"
        f" WHERE key_id IN ({_marks(len(key_ids), '?')}) AND expires_at > ? GROUP BY key_id, window_start",
        [*key_ids, now_us],
    )
    found: dict[int, tuple[dict[int | None, int], int | None]] = {}
    for r in rows:
        by_window, first = found.get(r["key_id"], ({}, None))
        by_window[r["window_start"]] = int(r["amount"])
        expiry = int(r["first_expiry"])
        found[r["key_id"]] = (by_window, expiry if first is None else min(first, expiry))
    return found


async def open_holds_of(conn, key_id: int, now_us: int) -> list[dict]:
    """One key's unexpired holds by the window they count in: rows of window_start, amount (their
    sum) and first_expiry. Expired holds never count (the sweep only keeps the table small)."""
    return await sql.fetch(
        conn,
        "SELECT window_start, SUM(amount) AS amount, MIN(expires_at) AS first_expiry FROM holds"
        " WHERE key_id = ? AND expires_at > ? GROUP BY window_start",
        [key_id, now_us],
    )


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


async def request_state(conn, key_id: int, request_id: str, now_us: int) -> RequestState:
    """Whether a request id holds budget or has its usage recorded: two unique-index look-ups, one round trip."""
    return (await request_states(conn, [(key_id, request_id)], now_us))[(key_id, request_id)]


async def request_states(conn, pairs: list[tuple[int, str]], now_us: int) -> dict[tuple[int, str], RequestState]:
    """What is known of each (key id, request id): settled (its usage is recorded), held (an open
    hold), or new. One statement for any number of ids (unique-index look-ups)."""
    if not pairs:
        return {}
    values = _marks(len(pairs), _PAIR)
    params = [v for pair in pairs for v in pair]
    # joins from the VALUES list: SQLite looks each pair up in the unique index; with
    # "(key_id, request_id) IN (VALUES …)" it scans the whole table (tests/store/test_query_plans.py)
    rows = await sql.fetch(
        conn,
        f"SELECT u.key_id, u.request_id, 1 AS settled FROM (VALUES {values}) AS v"
        f" JOIN {usage_records.request_ids_table(conn)} u ON u.key_id = v.column1 AND u.request_id = v.column2"
        f" UNION ALL SELECT h.key_id, h.request_id, 0 AS settled FROM (VALUES {values}) AS v"
        " JOIN holds h ON h.key_id = v.column1 AND h.request_id = v.column2 WHERE h.expires_at > ?",
        [*params, *params, now_us],
    )
    states = {pair: RequestState.NEW for pair in pairs}
    for r in rows:
        pair = (r["key_id"], r["request_id"])
        if int(r["settled"]):
            states[pair] = RequestState.SETTLED
        elif states[pair] is RequestState.NEW:
            states[pair] = RequestState.HELD
    return states


@dataclass
class LockedCounters:
    """A locked key's counters as a hold transaction reads them, kept up to date in memory as the
    transaction takes holds (nothing else can change them while the key's lock is held)."""

    usage: int
    held: int  # unexpired holds, every window
    window_start: int | None  # the current window, None without a recurring limit
    window_usage: int
    window_held: int

    def counters(self) -> Counters:
        return Counters(usage=self.usage, held=self.held, window_usage=self.window_usage, window_held=self.window_held)

    def hold(self, amount: int) -> None:
        self.held += amount
        self.window_held += amount if self.window_start is not None else 0


async def counters_under_lock(conn, rows: list[dict], now_us: int) -> dict[int, LockedCounters]:
    """Usage and open (unexpired) holds of locked keys, all-time and in each one's current window:
    two statements for any number of keys."""
    if not rows:
        return {}
    starts = {row["id"]: window_start_of(row, now_us) for row in rows}
    held = await open_holds_many(conn, sorted(starts), now_us)
    windowed = sorted((key_id, start) for key_id, start in starts.items() if start is not None)
    window_usage: dict[tuple[int, int], int] = {}
    if windowed:
        found = await sql.fetch(
            conn,
            "SELECT w.key_id, w.window_start, w.usage"
            f" FROM (VALUES {_marks(len(windowed), _INT_PAIR)}) AS v"
            " JOIN usage_windows w ON w.key_id = v.column1 AND w.window_start = v.column2",
            [v for pair in windowed for v in pair],
        )
        window_usage = {(r["key_id"], r["window_start"]): int(r["usage"]) for r in found}
    counters: dict[int, LockedCounters] = {}
    for row in rows:
        key_id, start = row["id"], starts[row["id"]]
        by_window = held.get(key_id, ({}, None))[0]
        counters[key_id] = LockedCounters(
            usage=int(row["usage"]), held=sum(by_window.values()), window_start=start,
            window_usage=window_usage.get((key_id, start), 0) if start is not None else 0,
            window_held=by_window.get(start, 0) if start is not None else 0,
        )
    return counters


async def take_holds(conn, holds: list[tuple[int, str, int, int | None, int]]) -> None:
    """Insert ``(key id, request id, amount, window start, expires at)`` holds, one statement; an
    expired hold of the same request id is replaced. Each request id appears once."""
    if not holds:
        return
    await sql.execute(
        conn,
        f"INSERT INTO holds (key_id, request_id, amount, window_start, expires_at) VALUES {_marks(len(holds), '(?, ?, ?, ?, ?)')}"
        " ON CONFLICT (key_id, request_id) DO UPDATE SET amount = excluded.amount,"
        " window_start = excluded.window_start, expires_at = excluded.expires_at",
        [v for hold in holds for v in hold],
    )


async def lock_and_read(conn, key_ids: list[int]) -> dict[int, dict]:
    """Serialize writers of these keys until the transaction ends (row locks taken in id order on
    PostgreSQL, the write lock on SQLite) and read them under those locks; a key that is gone is
    left out. Changes nothing. One statement for any number of keys. Each row also says whether the
    key has any hold (``has_holds``, expired ones included): holds are only taken under the key's
    lock, so a key without one gets none before the transaction ends, and a usage batch need not
    look for holds to settle."""
    if not key_ids:
        return {}
    if sql.is_postgres(conn):
        statement = _locking_select(f"{_KEY_COLUMNS}, {_HAS_HOLDS}", len(key_ids))
    else:
        # SQLite has no row locks: the first write of the transaction takes the database's write lock
        statement = (f"UPDATE api_keys SET usage = usage WHERE id IN ({_marks(len(key_ids), '?')})"
                     f" RETURNING {_KEY_COLUMNS}, {_HAS_HOLDS}")
    rows = await sql.fetch(conn, statement, key_ids)
    for row in rows:
        row["has_holds"] = bool(row["has_holds"])
    return {row["id"]: row for row in rows}


_HAS_HOLDS = "EXISTS (SELECT 1 FROM holds WHERE holds.key_id = api_keys.id) AS has_holds"


def _locking_select(columns: str, count: int) -> str:
    """(PostgreSQL) Read ``count`` keys by id and lock their rows in id order, the one order every
    writer of keys takes: FOR NO KEY UPDATE is the lock an UPDATE of non-key columns takes."""
    return f"SELECT {columns} FROM api_keys WHERE id IN ({_marks(count, '?')}) ORDER BY id FOR NO KEY UPDATE"


async def add_usage(conn, per_key: dict[int, int], now_us: int) -> dict[int, dict]:
    """Add each key's amount to its all-time usage and mark it used now; returns, per key that exists,
    its row after the update (usage, limits, thresholds, project). One statement for any number of
    keys; the caller holds the keys' locks (``lock_and_read``)."""
    if not per_key:
        return {}
    key_ids = sorted(per_key)
    rows = await sql.fetch(
        conn,
        "UPDATE api_keys SET usage = api_keys.usage + v.column2,"
        " last_used_at = CASE WHEN api_keys.last_used_at IS NULL OR api_keys.last_used_at < ? THEN ?"
        " ELSE api_keys.last_used_at END"
        f" FROM (VALUES {_marks(len(key_ids), _INT_PAIR)}) AS v"
        " WHERE api_keys.id = v.column1"
        " RETURNING api_keys.id, api_keys.usage, api_keys.recurring_amount, api_keys.recurring_value,"
        " api_keys.recurring_unit, api_keys.recurring_anchor, api_keys.all_time_limit, api_keys.alert_thresholds,"
        " api_keys.project_id",
        [now_us, now_us, *(v for key_id in key_ids for v in (key_id, per_key[key_id]))],
    )
    return {row["id"]: row for row in rows}


async def settle_holds(conn, pairs: list[tuple[int, str]], now_us: int) -> tuple[dict[tuple[int, str], int | None], set[int]]:
    """Delete the holds these (key id, request id) usage events settle. Returns (key, request id) ->
    the window start each open (unexpired) hold counted against, and the keys that had such holds.
    An expired hold no longer reserved anything: its usage is like usage without a hold."""
    windows: dict[tuple[int, str], int | None] = {}
    for part in sql.chunks(pairs, _CHUNK):
        rows = await sql.fetch(conn, _settle_statement(conn, len(part)), [v for pair in part for v in pair])
        windows.update(((r["key_id"], r["request_id"]), r["window_start"]) for r in rows if r["expires_at"] > now_us)
    return windows, {key_id for key_id, _ in windows}


def _settle_statement(conn, count: int) -> str:
    """DELETE the holds of ``count`` (key id, request id) pairs by their primary key. SQLite has no
    DELETE … USING and scans the table for "(key_id, request_id) IN (VALUES …)": it finds the rows
    through a join first."""
    values = _marks(count, _PAIR)
    returning = " RETURNING key_id, request_id, window_start, expires_at"
    if sql.is_postgres(conn):
        return f"DELETE FROM holds WHERE (key_id, request_id) IN (VALUES {values}){returning}"
    return (f"DELETE FROM holds WHERE rowid IN (SELECT h.rowid FROM (VALUES {values}) AS v"
            f" JOIN holds h ON h.key_id = v.column1 AND h.request_id = v.column2){returning}")


_CHUNK = 1000  # pairs per statement: 2 parameters each stays far below every backend's limit


async def purge_expired_holds(conn, now_us: int) -> int:
    """Expired holds never count (every sum asks ``expires_at > now``); this only keeps the table small."""
    return await sql.execute(conn, "DELETE FROM holds WHERE expires_at <= ?", [now_us])


async def record_last_used(conn, used: dict[int, int]) -> None:
    """Move each key's last use forward to its time (key id -> microseconds), never back: instances
    flush their batches in any order, and the condition keeps the newest. One statement per
    thousand keys, not one per key: this runs after every poll of the change feed.

    On PostgreSQL the rows are locked first, in id order, as every other writer of keys locks them
    (``lock_and_read``): an ``UPDATE … FROM (VALUES …)`` locks them in its join's order, and
    against a usage transaction holding one of them that was a deadlock, which PostgreSQL broke
    only after ``deadlock_timeout`` (a second's stall of the data plane, bench/gateway_loop.py)."""
    pairs = sorted(used.items())
    if not sql.is_postgres(conn):
        await _move_last_used(conn, pairs)
        return
    async with in_transaction() as tx:
        for chunk in sql.chunks(pairs, _CHUNK):
            await sql.fetch(tx, _locking_select("id", len(chunk)), [key_id for key_id, _ in chunk])
        await _move_last_used(tx, pairs)


async def _move_last_used(conn, pairs: list[tuple[int, int]]) -> None:
    for chunk in sql.chunks(pairs, _CHUNK):
        await sql.execute(
            conn,
            "UPDATE api_keys SET last_used_at = v.column2"
            f" FROM (VALUES {_marks(len(chunk), _INT_PAIR)}) AS v"
            " WHERE api_keys.id = v.column1 AND (api_keys.last_used_at IS NULL OR api_keys.last_used_at < v.column2)",
            [v for pair in chunk for v in pair],
        )
