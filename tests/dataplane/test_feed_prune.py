"""The change feed does not grow forever: rows older than an hour are pruned."""
from app.dataplane import feed
from app.domain.timeconv import to_micros
from app.store import sql


async def test_prune_drops_rows_every_instance_has_long_applied(database, clock):
    now = to_micros(clock.now())
    conn = sql.client()
    await sql.execute(conn, "DELETE FROM changes")
    for kind, at in (("old", now - 2 * 3600 * 1_000_000), ("recent", now - 60 * 1_000_000)):
        await sql.execute(conn, "INSERT INTO changes (kind, ref_id, at) VALUES (?, ?, ?)", [kind, 1, at])
    await feed.prune(now)
    assert [row["kind"] for row in await sql.fetch(conn, "SELECT kind FROM changes")] == ["recent"]
