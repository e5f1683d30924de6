"""Counting the SQL statements a piece of code sends (tests that pin a query count)."""
from app.store import sql


class QueryCounter:
    def __init__(self, monkeypatch):
        self.count = 0
        conn = sql.client()
        for name in ("execute_query", "execute_query_dict"):
            original = getattr(conn, name)

            async def counted(*args, _original=original, **kwargs):
                self.count += 1
                return await _original(*args, **kwargs)

            monkeypatch.setattr(conn, name, counted)
