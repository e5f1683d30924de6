"""Forgetting the alert firings of recurring windows that have ended, as explicit SQL (both backends).

A row of alert_firings exists so that an alert fires once per key, limit, window and threshold
(app/store/outbox.py: ``fire_alerts``). Once a window has ended no usage can reach its thresholds
again, so its rows only grow the table: the housekeeping deletes them in bounded batches. What
has ended is decided by the pure ``app.domain.alerts.firings_ended_before`` from each key's
limit columns; the all-time limit's rows and the current window's are never deleted. A window
that an open hold still counts against is kept whatever the clock says: usage settling that hold
is charged to it (app/services/usage.py: ``_apply_totals``).
"""
from __future__ import annotations

from app.domain.alerts import LimitKind, firings_ended_before
from app.domain.windows import stored_window
from app.store import sql

KEY_PAGE = 200  # keys whose limits are read, and whose cut-offs go into one DELETE
PRUNE_BATCH = 1000  # rows one DELETE removes at most

_KEYS = ("SELECT id, recurring_amount, recurring_value, recurring_unit, recurring_anchor FROM api_keys"
         " WHERE id IN (SELECT DISTINCT key_id FROM alert_firings WHERE key_id > ? AND limit_kind = ?"
         " ORDER BY key_id LIMIT ?) ORDER BY id")
_COLUMNS = "key_id, limit_kind, window_start, amount, event_type, threshold"


def _delete(pairs: int) -> str:
    ended = " OR ".join("(f.key_id = ? AND f.window_start < ?)" for _ in range(pairs))
    return (f"DELETE FROM alert_firings WHERE ({_COLUMNS}) IN (SELECT {', '.join('f.' + c for c in _COLUMNS.split(', '))}"
            f" FROM alert_firings f WHERE f.limit_kind = ? AND ({ended}) AND NOT EXISTS (SELECT 1 FROM holds h"
            " WHERE h.key_id = f.key_id AND h.window_start = f.window_start AND h.expires_at > ?) LIMIT ?)")


async def prune_ended(conn, now_us: int, after_key: int = 0, *, key_page: int = KEY_PAGE, batch: int = PRUNE_BATCH,
                      max_batches: int = 10) -> tuple[int, int]:
    """Delete the firings of recurring windows that have ended, for the keys after ``after_key`` in id
    order, with at most ``max_batches`` statements (pages of ``key_page`` keys read, DELETEs of at most
    ``batch`` rows). Returns (rows deleted, the
    key id to go on after at the next run: 0 once the last key was done), so that a large table is
    gone through over several runs rather than its first keys again and again."""
    deleted = 0
    statements = 0
    while statements < max_batches:
        keys = await sql.fetch(conn, _KEYS, [after_key, LimitKind.RECURRING.value, key_page])
        statements += 1
        if not keys:
            return deleted, 0
        cutoffs: list[int] = []
        for key in keys:
            window = stored_window(key["recurring_amount"], key["recurring_value"], key["recurring_unit"])
            before = firings_ended_before(window, key["recurring_anchor"], now_us)
            if before is not None:
                cutoffs += [key["id"], before]
        while cutoffs:
            if statements >= max_batches:
                return deleted, after_key  # this page again next time
            count = await sql.execute(conn, _delete(len(cutoffs) // 2),
                                      [LimitKind.RECURRING.value, *cutoffs, now_us, batch])
            statements += 1
            deleted += count
            if count < batch:
                break
        after_key = keys[-1]["id"]
        if len(keys) < key_page:
            return deleted, 0
    return deleted, after_key
