"""The usage_windows table: each key's usage in a given window, read one or in bulk (writes happen
with the usage itself, ``add``), and dropped when a new recurring limit starts a window."""
from __future__ import annotations

from app.store import sql


async def window_usage_many(pairs: list[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """Usage recorded in each (key id, window start), in one query; 0 where nothing was recorded."""
    result = {pair: 0 for pair in pairs}
    if not pairs:
        return result
    key_ids = sorted({key_id for key_id, _ in pairs})
    starts = sorted({start for _, start in pairs})
    rows = await sql.fetch(
        sql.client(),
        f"SELECT key_id, window_start, usage FROM usage_windows WHERE key_id IN ({', '.join('?' for _ in key_ids)})"
        f" AND window_start IN ({', '.join('?' for _ in starts)})",
        [*key_ids, *starts],
    )
    for row in rows:
        pair = (row["key_id"], row["window_start"])
        if pair in result:
            result[pair] = row["usage"]
    return result


async def add(tx, amounts: dict[tuple[int, int], int]) -> dict[tuple[int, int], int]:
    """Add ``{(key id, window start): amount}`` to the windows' usage, creating the rows that do not
    exist; returns each window's usage after the update. One statement per 1000 windows, in
    (key, window) order; the caller holds the keys' locks."""
    slots = sorted(amounts)
    after: dict[tuple[int, int], int] = {}
    for part in sql.chunks(slots, 1000):
        rows = await sql.fetch(
            tx,
            f"INSERT INTO usage_windows (key_id, window_start, usage) VALUES {', '.join('(?, ?, ?)' for _ in part)}"
            " ON CONFLICT (key_id, window_start) DO UPDATE SET usage = usage_windows.usage + excluded.usage"
            " RETURNING key_id, window_start, usage",
            [v for slot in part for v in (*slot, amounts[slot])],
        )
        after.update(((r["key_id"], r["window_start"]), int(r["usage"])) for r in rows)
    return after


async def drop_from(tx, key_id: int, start_us: int) -> None:
    """Delete the key's windows that start at ``start_us`` or later: a recurring limit set now starts
    a new window now, with zero usage, even if an old window started at this very instant."""
    await sql.execute(tx, "DELETE FROM usage_windows WHERE key_id = ? AND window_start >= ?", [key_id, start_us])


async def window_usage_of(conn, key_id: int, window_start: int) -> int:
    """Usage recorded in one window of one key; 0 when nothing was (no row)."""
    found = await sql.fetch_one(
        conn, "SELECT usage FROM usage_windows WHERE key_id = ? AND window_start = ?", [key_id, window_start]
    )
    return found["usage"] if found else 0
