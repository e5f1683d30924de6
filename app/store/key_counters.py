"""One key's counters in one query: what an instance needs when another one recorded usage or
took a hold for a key it caches (the key's settings did not change, so its snapshot stays)."""
from __future__ import annotations

from app.store import sql


async def counters_of(conn, key_id: int, window_start: int | None, now_us: int) -> dict | None:
    """All-time usage, the window's usage, the open holds (all and the window's) and the first of
    their expiries; None when the key is gone."""
    return await sql.fetch_one(
        conn,
        "SELECT k.usage AS usage,"
        " (SELECT w.usage FROM usage_windows w WHERE w.key_id = k.id AND w.window_start = ?) AS window_usage,"
        " (SELECT SUM(h.amount) FROM holds h WHERE h.key_id = k.id AND h.expires_at > ?) AS held,"
        " (SELECT SUM(h.amount) FROM holds h WHERE h.key_id = k.id AND h.expires_at > ? AND h.window_start = ?)"
        " AS window_held,"
        " (SELECT MIN(h.expires_at) FROM holds h WHERE h.key_id = k.id AND h.expires_at > ?) AS first_expiry"
        " FROM api_keys k WHERE k.id = ?",
        [window_start, now_us, now_us, window_start, now_us, key_id],
    )
