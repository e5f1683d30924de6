"""The catalog_offers table: the model catalog, one row per offer, in the catalog's order."""
from __future__ import annotations

from app.domain.catalog import Catalog, Offer
from app.store import sql

_SEED_LOCK_ID = 7_311_992  # any constant, distinct from the migrations' lock


async def load(conn) -> Catalog:
    """The whole catalog, its offers in order."""
    rows = await sql.fetch(
        conn,
        "SELECT model, provider, input_price, output_price FROM catalog_offers ORDER BY position",
    )
    return Catalog(tuple(Offer(r["model"], r["provider"], r["input_price"], r["output_price"]) for r in rows))


async def replace(tx, catalog: Catalog) -> None:
    """The table holds exactly ``catalog``'s offers from now on (inside ``tx``)."""
    await sql.execute(tx, "DELETE FROM catalog_offers")
    for position, offer in enumerate(catalog.offers):
        await sql.execute(
            tx,
            "INSERT INTO catalog_offers (model, provider, position, input_price, output_price) VALUES (?, ?, ?, ?, ?)",
            [offer.model, offer.provider, position, offer.input_nanos, offer.output_nanos],
        )


async def lock_for_seed(tx) -> None:
    """Serialize concurrent starters that may seed: an advisory lock on PostgreSQL (an UPDATE that
    matches no row locks nothing there), the write lock that a first write takes on SQLite."""
    if sql.is_postgres(tx):
        await sql.fetch(tx, "SELECT pg_advisory_xact_lock(?)", [_SEED_LOCK_ID])
    else:
        await sql.execute(tx, "UPDATE catalog_offers SET position = position WHERE position < 0")


async def is_empty(tx) -> bool:
    """Whether the table has no offer at all."""
    return not await sql.fetch(tx, "SELECT 1 AS one FROM catalog_offers LIMIT 1")
