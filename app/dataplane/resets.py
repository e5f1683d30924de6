"""When a full recurring window resets: told to a client refused with PERIOD_USAGE_EXCEEDED.

The decision has just computed the key's current window (its bounds are on the cache entry,
a hit: no database round trip), so this only reads them.
"""
from __future__ import annotations

from datetime import datetime

from app.domain import secrets
from app.domain.timeconv import from_micros


async def window_resets_at(cache, key: str, now_us: int) -> datetime | None:
    entry = await cache.get(secrets.hash_secret(key), now_us)
    bounds = entry.bounds if entry is not None else None
    if bounds is None or bounds.end_us <= now_us:
        return None
    return from_micros(bounds.end_us)
