"""Bearer-token authentication for both surfaces, with a small per-process cache.

A token is looked up by its hash. Cached answers live at most a minute (so last-use times
stay fresh), and any token change anywhere (revocation) clears the cache through the
change feed, so a revoked token stops working within a second on every instance.
"""
from __future__ import annotations

import time

from app.domain.secrets import hash_secret
from app.services import tokens
from app.services.callers import Caller
from app.store import changes

CACHE_SECONDS = 60.0
MAX_CACHED = 10_000


class TokenCache:
    def __init__(self, clock) -> None:
        self.clock = clock
        self._cached: dict[str, tuple[Caller, float]] = {}

    async def caller(self, authorization: str | None) -> Caller | None:
        secret = tokens.bearer(authorization)
        if secret is None:
            return None
        cache_key = hash_secret(secret)
        hit = self._cached.get(cache_key)
        now = time.monotonic()
        if hit is not None and now - hit[1] < CACHE_SECONDS:
            return hit[0]
        generation = self._generation
        caller = await tokens.authenticate(self.clock, secret)
        if caller is not None and generation == self._generation:
            if len(self._cached) >= MAX_CACHED:
                self._cached.clear()
            self._cached[cache_key] = (caller, now)
        return caller

    _generation = 0

    def on_change(self, kind: str, _ref: int | None) -> None:
        if kind == changes.TOKEN:
            self._generation += 1
            self._cached.clear()
