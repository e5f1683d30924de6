"""The data plane's in-process cache of keys and their counters.

An entry holds a key's snapshot (status, expiry, limits, rules), its all-time usage, the
usage of the window it was loaded in, and its open holds. Answers without a hold come from
here, with no database round trip. A change to a key's settings, made on this instance or
reported by the change feed from another, drops its entry; the next request reloads it. Usage
and holds recorded here update the entry in place (``counted_here``, ``held_here``); recorded
by another instance, they mark its counters stale, and the next request refreshes only them,
in one query (``_refresh_counters``). A load that
a change of the same key overtook is answered but not kept; changes of other keys (usage
arrives all the time) do not disturb it. Unknown hashes are remembered too (so guessing
costs no query) until a key this instance does not hold changes: it may be a new one.

A rolled key has two working secrets during its grace period, so up to two entries (one per
hash); a change of the key drops both. The previous secret's entry is valid only until its
grace ends: the next request after that reloads it and finds nothing (no background job).
"""
from __future__ import annotations

from dataclasses import dataclass

from app.domain import iam, windows
from app.domain.decision import Counters, KeySnapshot
from app.domain.windows import Window
from app.store import changes, key_counters, keystate, sql, usage_windows

MAX_ENTRIES = 200_000
MAX_UNKNOWN = 100_000
MAX_TRACKED_CHANGES = 100_000
NEVER = keystate.NEVER
MAX_VERDICTS = 256  # per key: the (model, provider) pairs one key asks about


@dataclass
class Entry:
    snapshot: KeySnapshot
    usage: int
    window: Window | None
    anchor: int | None
    window_start: int | None
    window_usage: int
    held: int  # open holds, all-time
    held_by_window: dict[int | None, int]  # open holds by the window they count against
    valid_until: int  # the first expiry among those holds (or of this secret): after it, the entry is stale
    secret_until: int = NEVER  # the previous secret of a rolled key works only until its grace ends
    bounds: windows.PeriodBounds | None = None  # the window of the last answer: usually still current
    verdicts: tuple | None = None  # (catalog, {(model, provider): IAM verdict}): rules change only with the entry
    counters_stale: bool = False  # another instance changed the counters: refresh them (one query) before use

    def counters(self, now_us: int) -> Counters:
        """Counters as of now (the cache reloads an entry whose holds began to expire); a window
        that rolled over starts at zero."""
        start = None
        if self.window is not None:
            bounds = self.bounds
            if bounds is None or not bounds.start_us <= now_us < bounds.end_us:
                bounds = self.bounds = windows.current_bounds(self.anchor, self.window, now_us)
            start = bounds.start_us
        return Counters(
            usage=self.usage,
            held=self.held,
            window_usage=self.window_usage if start == self.window_start else 0,
            window_held=self.held_by_window.get(start, 0) if start is not None else 0,
        )

    def iam_verdict(self, catalog, model: str, provider: str | None) -> iam.IamDecision:
        """The IAM verdict for a request, evaluated once per key, catalog and (model, provider)."""
        memo = self.verdicts
        if memo is None or memo[0] is not catalog:
            memo = self.verdicts = (catalog, {})
        found = memo[1].get((model, provider))
        if found is None:
            if len(memo[1]) >= MAX_VERDICTS:
                memo[1].clear()
            found = memo[1][(model, provider)] = iam.evaluate(self.snapshot.rules, catalog, model, provider)
        return found


class KeyCache:
    def __init__(self) -> None:
        self._by_hash: dict[str, Entry] = {}
        self._hash_of: dict[int, set[str]] = {}  # a rolled key in its grace period has two hashes
        self._unknown: set[str] = set()
        self._last_used: dict[int, int] = {}
        # invalidation bookkeeping, so that a load overtaken by a change of its key is not kept
        self._changes = 0  # changes seen so far
        self._changed_at: dict[int, int] = {}  # key id -> value of _changes at its last change
        self._floor = 0  # loads that started before this are not kept (after clear() or trimming)
        self._unknown_epoch = 0  # bumped whenever the unknown hashes are forgotten
        self.hits = 0
        self.misses = 0
        self.refreshes = 0  # counters refreshed after another instance changed them

    # --- reads -------------------------------------------------------------------------
    async def get(self, key_hash: str, now_us: int) -> Entry | None:
        entry = self._by_hash.get(key_hash)
        if entry is not None and now_us < entry.valid_until:
            if entry.counters_stale:
                return await self._refresh_counters(key_hash, entry, now_us)
            self.hits += 1
            return entry
        if key_hash in self._unknown:
            self.hits += 1
            return None
        self.misses += 1
        return await self._load(key_hash, now_us)

    async def _load(self, key_hash: str, now_us: int) -> Entry | None:
        started, unknown_epoch = self._changes, self._unknown_epoch
        conn = sql.client()
        row = await keystate.key_row_by_hash(conn, key_hash, now_us)
        if row is None:
            # a key created while we looked must not be remembered as unknown
            if unknown_epoch == self._unknown_epoch and len(self._unknown) < MAX_UNKNOWN:
                self._unknown.add(key_hash)
            return None
        entry = await self.entry_from_row(conn, row, now_us)
        if row["secret_expires_at"] is not None:  # the previous secret of a rolled key: only until its grace ends
            entry.secret_until = row["secret_expires_at"]
            entry.valid_until = min(entry.valid_until, entry.secret_until)
        if self._unchanged_since(row["id"], started):
            if len(self._by_hash) >= MAX_ENTRIES:
                self.clear()
            self._by_hash[key_hash] = entry
            self._hash_of.setdefault(row["id"], set()).add(key_hash)
        return entry

    async def _refresh_counters(self, key_hash: str, entry: Entry, now_us: int) -> Entry | None:
        """Counters only, in one query: the snapshot (settings, rules) did not change. A refresh that
        another change overtook is used for this answer but leaves the entry stale."""
        self.refreshes += 1
        key_id = entry.snapshot.key_id
        started = self._changes
        start = None
        if entry.window is not None:
            start = windows.current_bounds(entry.anchor, entry.window, now_us).start_us
        row = await key_counters.counters_of(sql.client(), key_id, start, now_us)
        if row is None:  # deleted meanwhile (its KEY change is on its way)
            self.forget(key_id)
            return await self._load(key_hash, now_us)
        entry.usage = row["usage"]
        entry.window_start = start
        entry.window_usage = int(row["window_usage"] or 0)
        entry.held = int(row["held"] or 0)
        entry.held_by_window = {start: int(row["window_held"] or 0)} if start is not None else {}
        first_expiry = int(row["first_expiry"]) if row["first_expiry"] is not None else NEVER
        entry.valid_until = min(first_expiry, entry.secret_until)
        if self._unchanged_since(key_id, started):
            entry.counters_stale = False
        return entry

    def _counters_changed_elsewhere(self, key_id: int | None) -> None:
        """Another instance recorded usage or took a hold: the entries of that key refresh their
        counters on their next use; a load under way is not kept."""
        if key_id is None:
            self.clear()
            return
        self._mark_changed(key_id)
        for key_hash in self._hash_of.get(key_id, ()):
            entry = self._by_hash.get(key_hash)
            if entry is not None:
                entry.counters_stale = True

    def _mark_changed(self, key_id: int) -> None:
        """A change of this key arrived: a load of it that started before is not kept."""
        self._changes += 1
        if len(self._changed_at) >= MAX_TRACKED_CHANGES:
            self._changed_at.clear()
            self._floor = self._changes
        self._changed_at[key_id] = self._changes

    def _unchanged_since(self, key_id: int, started: int) -> bool:
        """Whether no change of this key arrived after a load that started at ``started``."""
        return started >= self._floor and self._changed_at.get(key_id, 0) <= started

    @staticmethod
    async def entry_from_row(conn, row: dict, now_us: int) -> Entry:
        snapshot = await keystate.snapshot_of(row)
        window = windows.stored_window(row["recurring_amount"], row["recurring_value"], row["recurring_unit"])
        counters_start = keystate.window_start_of(row, now_us)
        held = await keystate.open_holds_of(conn, row["id"], now_us)
        window_usage = 0
        if counters_start is not None:
            window_usage = await usage_windows.window_usage_of(conn, row["id"], counters_start)
        return Entry(
            snapshot=snapshot,
            usage=row["usage"],
            window=window,
            anchor=row["recurring_anchor"],
            window_start=counters_start,
            window_usage=window_usage,
            held=sum(int(h["amount"]) for h in held),
            held_by_window={h["window_start"]: int(h["amount"]) for h in held},
            valid_until=min((int(h["first_expiry"]) for h in held), default=NEVER),
        )

    def held_here(self, key_id: int, counters: Counters, window_start: int | None, amount: int, expires_at: int) -> None:
        """A hold this instance just took, with the counters it read under the key's lock: the
        entry is brought up to date in place instead of being reloaded."""
        entries = [self._by_hash[h] for h in self._hash_of.get(key_id, ()) if h in self._by_hash]
        if not entries:
            return
        self._mark_changed(key_id)  # a load already under way is now stale
        for entry in entries:
            self._held_in_place(entry, counters, window_start, amount, expires_at)

    @staticmethod
    def _held_in_place(entry: Entry, counters: Counters, window_start: int | None, amount: int, expires_at: int) -> None:
        entry.usage = counters.usage
        entry.held = counters.held + amount
        entry.window_start = window_start
        entry.window_usage = counters.window_usage
        # only the current window's holds matter to a window check; older windows' count all-time
        entry.held_by_window = {window_start: counters.window_held + amount} if window_start is not None else {}
        entry.valid_until = min(entry.valid_until, expires_at)

    # --- invalidation ------------------------------------------------------------------
    def forget(self, key_id: int | None) -> None:
        if key_id is None:  # some key changed, we do not know which
            self.clear()
            return
        self._mark_changed(key_id)
        key_hashes = self._hash_of.pop(key_id, None)
        if key_hashes:
            for key_hash in key_hashes:
                self._by_hash.pop(key_hash, None)
        else:
            # not a key this instance holds: it may be new, and its hash remembered as unknown
            self._unknown.clear()
            self._unknown_epoch += 1

    def clear(self) -> None:
        self._changes += 1
        self._floor = self._changes
        self._by_hash.clear()
        self._hash_of.clear()
        self._unknown.clear()
        self._unknown_epoch += 1

    def counted_here(self, counters_after: list[keystate.CountersAfter]) -> None:
        """Usage this instance just recorded: its entries are brought up to date in place with the
        counters the transaction left (no reload). Other instances hear of it through the feed
        (COUNTERS) and drop their entries."""
        for after in counters_after:
            self._mark_changed(after.key_id)  # a load already under way is now stale
            for key_hash in self._hash_of.get(after.key_id, ()):
                entry = self._by_hash.get(key_hash)
                if entry is not None:
                    self._counted_in_place(entry, after)

    @staticmethod
    def _counted_in_place(entry: Entry, after: keystate.CountersAfter) -> None:
        # absolute values from the committed transaction; usage only grows, so the larger wins
        # when two of this instance's transactions on one key finish out of order
        entry.usage = max(entry.usage, after.usage)
        if entry.window_start in after.window_usage:
            entry.window_usage = max(entry.window_usage, after.window_usage[entry.window_start])
        if after.holds is not None:
            by_window, first_expiry = after.holds
            entry.held = sum(by_window.values())
            entry.held_by_window = dict(by_window)
            entry.valid_until = min(first_expiry, entry.secret_until)

    def on_change(self, kind: str, ref_id: int | None) -> None:
        if kind == changes.KEY:
            self.forget(ref_id)
        elif kind == changes.COUNTERS:
            self._counters_changed_elsewhere(ref_id)

    # --- last use, written in batches --------------------------------------------------
    def touch(self, key_id: int, now_us: int) -> None:
        if self._last_used.get(key_id, 0) < now_us:
            self._last_used[key_id] = now_us

    async def flush_last_used(self) -> None:
        pending, self._last_used = self._last_used, {}
        if pending:
            await keystate.record_last_used(sql.client(), pending)

    def __len__(self) -> int:
        return len(self._by_hash)

    def __contains__(self, key_hash: str) -> bool:
        """Whether the key with that hash is cached (the next check of it needs no database)."""
        return key_hash in self._by_hash
