"""Every statement of the data plane's hot loop finds its rows through an index on SQLite: none
scans a whole table. A scan grows with the table, so holds and usage would slow down as records
pile up (SQLite planned "(key_id, request_id) IN (VALUES …)" as a scan of every usage record
until the statements were written as joins). Runs on SQLite in both suites: the plans are
SQLite's own."""
from __future__ import annotations

import re

import httpx
import pytest

from app import db
from app.domain.timeconv import to_micros
from app.server import create_app
from app.services import tokens
from app.settings import Settings
from app.store import sql
from tests.conftest import make_tenant
from tests.support.api import DataPlaneClient, create_key

MODEL = "openai/gpt-4o"
_SCAN = re.compile(r"^SCAN (\w+)")
READ_WHOLE = {"catalog_offers"}  # the catalog is loaded whole, on purpose (a few hundred offers)
# the once-a-minute sweep of expired holds reads the holds table, which holds only the open holds
# and those that expired since the last sweep: bounded by the traffic of a minute, not by history
SWEEPS = ("DELETE FROM holds WHERE expires_at <= ",)


@pytest.fixture
async def sqlite_app(tmp_path, clock):
    settings = Settings(database_url=f"sqlite://{tmp_path}/plans.sqlite3", poll_interval_ms=50, webhook_delivery=False)
    await db.open_database(settings, to_micros(clock.now()))
    app = create_app(settings, clock, manage_database=False)
    try:
        async with app.router.lifespan_context(app):
            yield app
    finally:
        await db.close_database()


async def on_connection(function):
    """Run ``function(raw sqlite3 connection)`` in aiosqlite's thread, where the connection lives."""
    connection = sql.client()._connection
    return await connection._execute(lambda: function(connection._conn))


async def test_no_statement_of_holds_usage_last_use_or_housekeeping_scans_a_table(sqlite_app, clock):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sqlite_app), base_url="http://keyplane.test") as http:
        acme = await make_tenant(http, clock, "acme", plan="enterprise")
        gateway = DataPlaneClient(http, (await tokens.create(clock, tokens.GATEWAY, None, "tests")).secret)
        keys = [await create_key(acme, name=f"k{n}", allTimeLimit="100", alertThresholds=[50, 80],
                                 recurringLimit={"amount": "10", "window": {"value": 1, "unit": "DAY"}})
                for n in range(3)]
        for n, key in enumerate(keys):  # some history for every table the loop touches
            await gateway.usage({"keyId": key["apiKey"]["id"], "requestId": f"old-{n}", "cost": "0.01"})
        statements: list[str] = []
        await on_connection(lambda conn: conn.set_trace_callback(statements.append))
        try:
            for n, key in enumerate(keys):
                secret, key_id = key["secret"], key["apiKey"]["id"]
                assert (await gateway.authorize(key=secret, model=MODEL))["allowed"]
                held = await gateway.authorize(key=secret, model=MODEL, estimatedCost="0.5", requestId=f"r{n}")
                assert held["allowed"] is True
                retried = await gateway.authorize(key=secret, model=MODEL, estimatedCost="0.5", requestId=f"r{n}")
                assert retried["allowed"] is True
                settled = await gateway.usage({"events": [
                    {"keyId": key_id, "requestId": f"r{n}", "cost": "6"},  # settles its hold, passes 50 %
                    {"keyId": key_id, "requestId": f"u{n}", "cost": "0.2"},
                    {"keyId": key_id, "requestId": f"old-{n}", "cost": "0.01"},  # a retry: recorded once
                ]})
                assert [r["recorded"] for r in settled["results"]] == [True, True, False]
            await sqlite_app.state.key_cache.flush_last_used()
            clock.advance(seconds=61)  # the housekeeping's once-a-minute work is due: its statements are checked too
            await sqlite_app.state.housekeeping()
        finally:
            await on_connection(lambda conn: conn.set_trace_callback(None))

    def plans(conn) -> dict[str, list[str]]:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        found = {}
        for statement in statements:
            if not re.match(r"\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", statement, re.I):
                continue  # BEGIN, COMMIT, PRAGMA
            if statement.startswith(SWEEPS):
                continue
            details = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + statement)]
            scans = [d for d in details if (m := _SCAN.match(d)) and m.group(1) in tables - READ_WHOLE]
            if scans:
                found[statement[:300]] = scans
        return found

    assert len(statements) > 20  # the loop above ran its statements through this connection
    assert any(s.startswith(SWEEPS) for s in statements)  # and so did the housekeeping
    assert await on_connection(plans) == {}
