"""The model catalog: kept in the database (one source for every instance), cached in each process.

The cache is a ``CatalogCache`` that the app creates at startup, beside its key and token caches,
and subscribes to the change feed: a catalog change drops it (at once on the instance that wrote
it, within a poll interval elsewhere).
"""
from __future__ import annotations

from app.domain.catalog import Catalog, CatalogError, load_default_catalog, parse_catalog
from app.domain.timeconv import to_micros
from app.services.errors import ErrorCode, refuse
from app.store import catalog as catalog_store, changes, sql


class CatalogCache:
    """One process's copy of the catalog, loaded on first use and dropped on every catalog change."""

    def __init__(self) -> None:
        self._cached: Catalog | None = None
        self._generation = 0  # bumped by every forget(): a load that raced with a change is not kept

    def forget(self) -> None:
        self._cached = None
        self._generation += 1

    def on_change(self, kind: str, _ref: int | None) -> None:
        """The change feed's listener (subscribed by the app for as long as it runs)."""
        if kind == changes.CATALOG:
            self.forget()

    async def current(self) -> Catalog:
        if self._cached is not None:
            return self._cached
        generation = self._generation
        loaded = await catalog_store.load(sql.client())
        if generation == self._generation:
            self._cached = loaded
        return loaded


async def seed_default(now_us: int) -> bool:
    """Load the shipped catalog into a database that has none; True when it did."""
    async with changes.write() as tx:
        await catalog_store.lock_for_seed(tx)  # concurrent starters serialize here
        if not await catalog_store.is_empty(tx):
            return False
        await catalog_store.replace(tx, load_default_catalog())
        await changes.emit(tx, changes.CATALOG, None, now_us)
    return True


async def import_catalog(clock, data) -> Catalog:
    """Replace the whole catalog atomically; a bad file changes nothing. Every subscribed
    ``CatalogCache`` drops its copy when it commits (through the change feed)."""
    try:
        catalog = parse_catalog(data)
    except CatalogError as exc:
        raise refuse(ErrorCode.VALIDATION, "catalog", str(exc)) from None
    async with changes.write() as tx:
        await catalog_store.replace(tx, catalog)
        await changes.emit(tx, changes.CATALOG, None, to_micros(clock.now()))
    return catalog
