"""Whether the database answers: the health check's one statement."""
from __future__ import annotations

from app.store import sql


async def ping() -> None:
    """The cheapest statement that needs the database (a connection from the pool and a round trip);
    raises when it does not answer. The caller bounds how long it waits."""
    await sql.fetch(sql.client(), "SELECT 1 AS one")
