"""Usage at scale: the usage-details query (graphql/queries/ApiKeyUsage.graphql) on a key with
10,000, 1,000,000 and 10,000,000 records, and the database's size, side by side, on SQLite and
(with --postgres-server) PostgreSQL; then /v1/usage ingestion (batches of 1000) with the hourly
rollups on and off. Run by hand; it prints figures and asserts nothing.

    python bench/usage_scale.py [--max 1000000] [--rounds 7] [--postgres-server postgres://root@127.0.0.1:5432/postgres]

Records are loaded with one INSERT … SELECT per chunk (the write path is measured separately,
below), spread over 20 days like the issue's measurement; the rollups are filled from them
the way migration 7 does. Each size gets a fresh database: a scratch SQLite file, or a
scratch PostgreSQL database (named --postgres-prefix_…, dropped afterwards).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app import db  # noqa: E402
from app.domain.ids import decode_as  # noqa: E402
from app.domain.timeconv import to_micros  # noqa: E402
from app.domain.usage import UsageEvent, UsageSource  # noqa: E402
from app.server import create_app  # noqa: E402
from app.services import orgs, projects, tokens, usage as usage_service  # noqa: E402
from app.services.callers import Tenant  # noqa: E402
from app.settings import Settings  # noqa: E402
from app.store import rollups, sql  # noqa: E402
from tests.support.clock import FakeClock  # noqa: E402
from tests.support.documents import document  # noqa: E402

SIZES = (10_000, 1_000_000, 10_000_000)
DAYS = 20
DAY_US = 86_400 * 1_000_000
CHUNK = 50_000


@asynccontextmanager
async def scratch(backend: str, server: str | None, prefix: str):
    """A database URL for one measurement, and its size in bytes at the end (a callable)."""
    if backend == "sqlite":
        path = Path(tempfile.mkdtemp(prefix="kp-scale-")) / "scale.sqlite3"
        yield f"sqlite://{path}", lambda: _sqlite_size(path)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(server)
    await admin.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(server)
    try:
        yield urlunsplit((parts.scheme, parts.netloc, "/" + name, "", "")), None
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def _sqlite_size(path: Path) -> int:
    return sum(Path(f"{path}{s}").stat().st_size for s in ("", "-wal") if Path(f"{path}{s}").exists())


async def database_size(size_of) -> int:
    if size_of is not None:
        return size_of()
    row = await sql.fetch_one(sql.client(), "SELECT pg_database_size(current_database()) AS size")
    return int(row["size"])


async def load_records(key_pk: int, count: int, start_us: int) -> None:
    """``count`` records over DAYS days before ``start_us``, in chunks (each one statement)."""
    conn = sql.client()
    step = DAYS * DAY_US // count
    for offset in range(0, count, CHUNK):
        n = min(CHUNK, count - offset)
        if sql.is_postgres(conn):
            series = f"SELECT g AS n FROM generate_series({offset}, {offset + n - 1}) AS g"
        else:
            series = (f"SELECT n FROM (WITH RECURSIVE seq(n) AS (SELECT {offset} UNION ALL SELECT n + 1 FROM seq"
                      f" WHERE n < {offset + n - 1}) SELECT n FROM seq)")
        if sql.is_postgres(conn):  # the request ids of a partitioned usage log (migration 8)
            await sql.execute(
                conn, "INSERT INTO usage_request_ids (key_id, request_id, occurred_at)"
                f" SELECT ?, 'load-' || n, CAST(? AS BIGINT) + CAST(n AS BIGINT) * {step} FROM ({series}) AS numbers",
                [key_pk, start_us - DAYS * DAY_US])
        await sql.execute(
            conn,
            "INSERT INTO usage_records (key_id, request_id, occurred_at, recorded_at, model, provider, cost, source)"
            f" SELECT ?, 'load-' || n, CAST(? AS BIGINT) + CAST(n AS BIGINT) * {step},"
            f" CAST(? AS BIGINT) + CAST(n AS BIGINT) * {step}, 'openai/gpt-4o', 'openai', 1000 + n % 997,"
            f" CASE WHEN n % 5 = 0 THEN 'PROVIDER_KEY' ELSE 'CREDITS' END FROM ({series}) AS numbers",
            [key_pk, start_us - DAYS * DAY_US, start_us - DAYS * DAY_US],
        )
    await sql.execute(
        conn,
        "INSERT INTO usage_rollups (key_id, hour_start, source, amount, requests)"
        " SELECT key_id, occurred_at - occurred_at % 3600000000 AS hour, source, SUM(cost), COUNT(*) FROM usage_records"
        " WHERE key_id = ? GROUP BY key_id, occurred_at - occurred_at % 3600000000, source",
        [key_pk],
    )
    if sql.is_postgres(conn):
        await sql.execute(conn, "ANALYZE")


async def setup_key(http, clock) -> tuple[str, str, str]:
    """(management token, gateway token, key id) in a fresh organization."""
    org = await orgs.create_org(clock, "scale", "enterprise", None)
    management = await tokens.create(clock, tokens.MANAGEMENT, org.id, "bench")
    gateway = await tokens.create(clock, tokens.GATEWAY, None, "bench")
    project = await projects.create_project(Tenant(org.id, management.id), clock, "Default")
    from app.domain.ids import encode

    created = await http.post("/graphql", headers={"Authorization": f"Bearer {management.secret}"}, json={
        "query": document("CreateApiKey"), "variables": {"input": {"projectId": encode("Project", project.id), "name": "k"}}})
    return management.secret, gateway.secret, created.json()["data"]["createApiKey"]["apiKey"]["id"]


async def time_query(http, management: str, key_id: str, rounds: int) -> float:
    """Median milliseconds of the usage-details query (first page of records and the 30-day summary)."""
    times = []
    for _ in range(rounds + 1):
        started = time.perf_counter()
        response = await http.post("/graphql", headers={"Authorization": f"Bearer {management}"},
                                   json={"query": document("ApiKeyUsage"), "variables": {"id": key_id}})
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200 and "errors" not in response.json(), response.text[:300]
    return statistics.median(times[1:])  # the first one warms caches


async def measure(url: str, size_of, count: int, rounds: int) -> tuple[float, int, float]:
    """(query ms, database bytes, load seconds) for one key with ``count`` records."""
    clock = FakeClock()
    settings = Settings(database_url=url, usage_retention_days=0, statement_timeout_ms=600_000)  # bulk loads
    await db.open_database(settings, to_micros(clock.now()))
    try:
        app = create_app(settings, clock, manage_database=False)
        async with app.router.lifespan_context(app), httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://bench") as http:
            management, _, key_id = await setup_key(http, clock)
            clock.advance(days=DAYS + 1)
            started = time.perf_counter()
            await load_records(decode_as("ApiKey", key_id), count, to_micros(clock.now()))
            loaded = time.perf_counter() - started
            query_ms = await time_query(http, management, key_id, rounds)
        return query_ms, await database_size(size_of), loaded
    finally:
        await db.close_database()


async def ingestion(url: str, batches: int) -> tuple[float, float]:
    """Events/s through the write path (record_events, batches of 1000), rollups on vs off, alternating."""
    clock = FakeClock()
    settings = Settings(database_url=url)
    await db.open_database(settings, to_micros(clock.now()))
    real_add = rollups.add

    async def no_rollups(tx, sums) -> None:
        return None

    try:
        app = create_app(settings, clock, manage_database=False)
        async with app.router.lifespan_context(app), httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://bench") as http:
            _, _, key_id = await setup_key(http, clock)
        key_pk = decode_as("ApiKey", key_id)
        spent = {True: 0.0, False: 0.0}
        for batch in range(-2, 2 * batches):  # two warm-up batches, not counted
            with_rollups = (batch % 4) in (0, 3)  # on, off, off, on, …: neither mode always goes first
            rollups.add = real_add if with_rollups else no_rollups
            events = [UsageEvent(key_pk, f"b{batch}-{i}", 1000 + i, "openai/gpt-4o", "openai",
                                 (UsageSource.CREDITS, UsageSource.PROVIDER_KEY)[i % 2], None) for i in range(1000)]
            clock.advance(minutes=7)  # batches spread over hours: new rollup rows as well as updates
            started = time.perf_counter()
            results = await usage_service.record_events(clock, events)
            if batch >= 0:
                spent[with_rollups] += time.perf_counter() - started
            assert all(r.recorded for r in results)
        return batches * 1000 / spent[True], batches * 1000 / spent[False]
    finally:
        rollups.add = real_add
        await db.close_database()


def mb(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max", type=int, default=SIZES[-1], help="largest number of records to load")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--batches", type=int, default=20, help="batches of 1000 per mode for the ingestion figure")
    parser.add_argument("--postgres-server", help="a database URL on the server to create scratch databases from")
    parser.add_argument("--postgres-prefix", default="kp_scale")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    backends = ([] if args.skip_sqlite else ["sqlite"]) + (["postgres"] if args.postgres_server else [])
    sizes = [size for size in SIZES if size <= args.max]

    print(f"{'backend':<10}{'records':>12}{'query ms':>10}{'vs 10k':>8}{'db size':>12}{'load s':>9}")
    for backend in backends:
        baseline = None
        for count in sizes:
            async with scratch(backend, args.postgres_server, args.postgres_prefix) as (url, size_of):
                query_ms, size, loaded = await measure(url, size_of, count, args.rounds)
            baseline = baseline or query_ms
            print(f"{backend:<10}{count:>12,}{query_ms:>10.1f}{query_ms / baseline:>7.2f}x{mb(size):>12}{loaded:>9.1f}",
                  flush=True)
    print()
    print(f"{'backend':<10}{'rollups on ev/s':>16}{'off ev/s':>10}{'on / off':>10}   (record_events, batches of 1000)")
    for backend in backends:
        async with scratch(backend, args.postgres_server, args.postgres_prefix) as (url, _):
            on, off = await ingestion(url, args.batches)
        print(f"{backend:<10}{on:>16,.0f}{off:>10,.0f}{on / off:>9.2f}x", flush=True)


if __name__ == "__main__":
    os.environ.setdefault("KEYPLANE_LOG_LEVEL", "WARNING")
    asyncio.run(main())
