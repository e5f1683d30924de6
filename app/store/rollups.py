"""The ``usage_rollups`` table: per key, UTC hour and source, the amount and the number of requests.

Upserted in the usage's own transaction (``amount = amount + ?``), one row per (key, hour,
source) per transaction, so the rollups always equal the sums of the records, however many
writers there are; pruning raw records never touches them.
"""
from __future__ import annotations

from app.store import sql

_CHUNK = 200  # rows per multi-row upsert: 5 parameters each


async def add(tx, sums: dict[tuple[int, int, str], tuple[int, int]]) -> None:
    """Add ``{(key id, hour, source): (amount, requests)}``, in (key, hour, source) order: concurrent
    transactions then never wait on each other in a cycle. The caller holds the keys' row locks."""
    slots = sorted(sums)
    for chunk in sql.chunks(slots, _CHUNK):
        await sql.execute(
            tx,
            "INSERT INTO usage_rollups (key_id, hour_start, source, amount, requests)"
            f" VALUES {', '.join('(?, ?, ?, ?, ?)' for _ in chunk)}"
            " ON CONFLICT (key_id, hour_start, source) DO UPDATE SET"
            " amount = usage_rollups.amount + excluded.amount, requests = usage_rollups.requests + excluded.requests",
            [value for slot in chunk for value in (*slot, *sums[slot])],
        )


async def by_day_and_source(conn, key_id: int, from_hour: int, to_hour: int, day_us: int) -> list[dict]:
    """Sums over the hours in [from_hour, to_hour), per UTC day (``day`` = day start // day_us) and source.

    Reads at most (days × sources) rows, whatever the number of records. Hours are after 1970
    (a key's usage is dated within its life), so SQL's integer division floors them."""
    rows = await sql.fetch(
        conn,
        # the day length is written into the statement: PostgreSQL does not see "hour_start / $1" in the
        # select list and in GROUP BY as the same expression
        f"SELECT hour_start / {day_us} AS day, source, SUM(amount) AS amount, SUM(requests) AS requests"
        f" FROM usage_rollups WHERE key_id = ? AND hour_start >= ? AND hour_start < ?"
        f" GROUP BY hour_start / {day_us}, source",
        [key_id, from_hour, to_hour],
    )
    return [{"day": int(r["day"]), "source": r["source"], "amount": int(r["amount"]), "requests": int(r["requests"])}
            for r in rows]
