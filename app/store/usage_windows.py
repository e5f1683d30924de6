"""The usage_windows table read in bulk: each key's usage in a given window (writes happen with the
usage itself, app/store/keystate.py)."""
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
