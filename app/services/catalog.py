"""The model catalog: kept in the database (one source for every instance), cached in each process.

The cache is dropped when the change feed reports a catalog change (at once on the instance
that imported it, within a poll interval elsewhere).
"""
from __future__ import annotations


from app.domain.catalog import Catalog, CatalogError, Offer, load_default_catalog, parse_catalog
from app.domain.timeconv import to_micros
from app.services.errors import ErrorCode, refuse
from app.store import changes, sql

_cached: Catalog | None = None
_SEED_LOCK_ID = 7_311_992  # any constant, distinct from the migrations' lock
_generation = 0  # bumped by every forget(): a load that raced with a change is not kept


def forget() -> None:
    global _cached, _generation
    _cached = None
    _generation += 1


def _on_change(kind: str, _ref: int | None) -> None:
    if kind == changes.CATALOG:
        forget()


changes.subscribe_local(_on_change)


async def current() -> Catalog:
    global _cached
    if _cached is not None:
        return _cached
    generation = _generation
    rows = await sql.fetch(
        sql.client(),
        "SELECT model, provider, input_price, output_price FROM catalog_offers ORDER BY position",
    )
    loaded = Catalog(tuple(Offer(r["model"], r["provider"], r["input_price"], r["output_price"]) for r in rows))
    if generation == _generation:
        _cached = loaded
    return loaded


async def _replace(tx, catalog: Catalog) -> None:
    await sql.execute(tx, "DELETE FROM catalog_offers")
    for position, offer in enumerate(catalog.offers):
        await sql.execute(
            tx,
            "INSERT INTO catalog_offers (model, provider, position, input_price, output_price) VALUES (?, ?, ?, ?, ?)",
            [offer.model, offer.provider, position, offer.input_nanos, offer.output_nanos],
        )


async def seed_default(now_us: int) -> bool:
    """Load the shipped catalog into a database that has none; True when it did."""
    async with changes.write() as tx:
        # concurrent starters serialize here: an advisory lock on PostgreSQL (an UPDATE that matches
        # no row locks nothing there), the write lock that a first write takes on SQLite
        if sql.is_postgres(tx):
            await sql.fetch(tx, "SELECT pg_advisory_xact_lock(?)", [_SEED_LOCK_ID])
        else:
            await sql.execute(tx, "UPDATE catalog_offers SET position = position WHERE position < 0")
        if await sql.fetch(tx, "SELECT 1 AS one FROM catalog_offers LIMIT 1"):
            return False
        await _replace(tx, load_default_catalog())
        await changes.emit(tx, changes.CATALOG, None, now_us)
    return True


async def import_catalog(clock, data) -> Catalog:
    """Replace the whole catalog atomically; a bad file changes nothing."""
    try:
        catalog = parse_catalog(data)
    except CatalogError as exc:
        raise refuse(ErrorCode.VALIDATION, "catalog", str(exc)) from None
    async with changes.write() as tx:
        await _replace(tx, catalog)
        await changes.emit(tx, changes.CATALOG, None, to_micros(clock.now()))
    return catalog
