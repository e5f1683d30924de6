"""Counting the SQL statements a piece of code sends (tests that pin a query count)."""
import contextvars

from app.store import sql

# the counter of the code being measured: tasks it starts inherit it, background tasks started
# earlier (the app's change feed, its deliverer) do not, so their polls never count
_measuring: contextvars.ContextVar = contextvars.ContextVar("measuring", default=None)


class QueryCounter:
    def __init__(self, monkeypatch):
        self.count = 0
        _measuring.set(self)
        conn = sql.client()
        for name in ("execute_query", "execute_query_dict"):
            original = getattr(conn, name)

            async def counted(*args, _original=original, **kwargs):
                if _measuring.get() is self:
                    self.count += 1
                return await _original(*args, **kwargs)

            monkeypatch.setattr(conn, name, counted)
