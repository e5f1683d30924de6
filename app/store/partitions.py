"""PostgreSQL's monthly partitions of ``usage_records`` (migration 8): created ahead, created on
demand when an event falls in a month that has none, and dropped whole past the retention.
SQLite keeps one table: every function here does nothing there.

Partition DDL runs in short transactions of its own, serialized across instances by an
advisory lock, and only ever adds or drops whole months, so readers never see a gap in the
months that hold records.
"""
from __future__ import annotations

from tortoise.transactions import in_transaction

from app.domain import partitions as months
from app.store import sql

_LOCK_ID = 7_311_992  # the advisory lock of partition DDL


async def _ddl_locks(tx) -> None:
    """Serialize partition DDL across instances, then take the locks it needs in the order writers
    take them: api_keys first (a partition's foreign key adds triggers there, SHARE ROW EXCLUSIVE;
    a usage batch locks its keys' rows before it inserts records), then usage_records (by the DDL
    itself). The other order deadlocks with a batch. A lock not granted in 5 s fails this attempt
    rather than stall every writer queued behind it; the housekeeping tries again a minute later."""
    await sql.fetch(tx, "SELECT pg_advisory_xact_lock(?)", [_LOCK_ID])
    await sql.execute(tx, "SET LOCAL lock_timeout = '5s'")
    await sql.execute(tx, "LOCK TABLE api_keys IN SHARE ROW EXCLUSIVE MODE")


def missing_partition(exc: BaseException) -> bool:
    """Whether an insert failed because a record's month has no partition (PostgreSQL's check violation)."""
    return "no partition of relation" in str(exc)


async def bounds(conn) -> list[tuple[str, int | None, int]]:
    """(name, start or None for MINVALUE, end) of each partition, oldest first."""
    rows = await sql.fetch(
        conn,
        "SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_inherits i"
        " JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'usage_records'::regclass",
    )
    found = []
    for row in rows:
        # "FOR VALUES FROM ('1769904000000000') TO ('1772323200000000')", or FROM (MINVALUE)
        low, high = row["bound"].split(" FROM (")[1].split(") TO (")
        end = int(high.rstrip(")").strip("'"))
        found.append((row["name"], None if low == "MINVALUE" else int(low.strip("'")), end))
    return sorted(found, key=lambda item: item[2])


def _missing(existing: list[tuple[str, int | None, int]], from_us: int, to_us: int) -> list[int]:
    """Starts of the months overlapping [from, to] that no partition holds."""
    return [start for start in months.months_between(from_us, to_us)
            if not any((low is None or low <= start) and months.next_month(start) <= high for _, low, high in existing)]


async def cover(from_us: int, to_us: int) -> list[str]:
    """Make sure a partition exists for every month overlapping [from, to]; returns those created.
    Months are whole (the migration's legacy partition ends on a month's start too). Looks first
    without any lock: most calls (the housekeeping's, every minute) find nothing to do."""
    if not sql.is_postgres(sql.client()) or not _missing(await bounds(sql.client()), from_us, to_us):
        return []
    created = []
    async with in_transaction() as tx:
        await _ddl_locks(tx)
        for start in _missing(await bounds(tx), from_us, to_us):
            name = months.name_of(start)
            await sql.execute(tx, f"CREATE TABLE {name} PARTITION OF usage_records"
                                  f" FOR VALUES FROM ({start}) TO ({months.next_month(start)})")
            created.append(name)
    return created


async def ensure_ahead(now_us: int) -> list[str]:
    """The housekeeping's part: partitions for this month and the next ``MONTHS_AHEAD``."""
    end = now_us
    for _ in range(months.MONTHS_AHEAD):
        end = months.next_month(end)
    return await cover(now_us, end)


async def drop_expired(cutoff_us: int) -> list[str]:
    """Drop the partitions that hold nothing at or after ``cutoff_us``, whole (no row-by-row delete)."""
    if not sql.is_postgres(sql.client()) or not any(end <= cutoff_us for _, _, end in await bounds(sql.client())):
        return []
    dropped = []
    async with in_transaction() as tx:
        await _ddl_locks(tx)
        for name, _, end in await bounds(tx):
            if end <= cutoff_us:
                await sql.execute(tx, f"DROP TABLE {name}")
                dropped.append(name)
    return dropped
