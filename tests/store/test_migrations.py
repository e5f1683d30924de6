"""Versioned migrations on the suite's backend: an old database upgrades with every row intact
and keeps working, the models match the migrated tables, and concurrent migrators (tasks of
one process, or several processes starting at once) apply each migration exactly once."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx
from tortoise.fields import BigIntField, BooleanField, CharField, IntField, TextField
from tortoise.models import Model
from tortoise.transactions import in_transaction

from app import models
from app.domain import ids, secrets
from app.domain.catalog import load_default_catalog
from app.domain.timeconv import to_micros
from app.server import create_app
from app.settings import Settings
from app.store import migrations, sql
from tests.support.clock import FakeClock

ROOT = Path(__file__).resolve().parents[2]
HOUR_US = 3600 * 1_000_000
DAY_US = 24 * HOUR_US
NANOS = 1_000_000_000  # nano-dollars per dollar
ALL_VERSIONS = [m.version for m in migrations.MIGRATIONS]
# every table of migration 1, with the columns that order its rows
V1_TABLES = {
    "organizations": "id", "projects": "id", "tokens": "id", "api_keys": "id", "iam_rules": "id",
    "usage_windows": "key_id, window_start", "usage_records": "id", "catalog_offers": "model, provider",
}


async def insert(conn, table: str, returning: bool = True, **values) -> int | None:
    """Plain SQL, as a database written by version 1 would hold it; returns the new id."""
    statement = f"INSERT INTO {table} ({', '.join(values)}) VALUES ({', '.join('?' for _ in values)})"
    if not returning:
        await sql.execute(conn, statement, list(values.values()))
        return None
    row = await sql.fetch_one(conn, statement + " RETURNING id", list(values.values()))
    return row["id"]


async def table_rows() -> dict[str, list[dict]]:
    conn = sql.client()
    return {table: [dict(r) for r in await sql.fetch(conn, f"SELECT * FROM {table} ORDER BY {order}")]
            for table, order in V1_TABLES.items()}


async def fill_version_1(now_us: int) -> dict:
    """Two organizations with projects, tokens, keys in every state, rules, usage and a catalog."""
    conn = sql.client()
    secret = {name: secrets.generate(prefix) for name, prefix in (
        ("management", "kpm_"), ("gateway", "kpg_"), ("revoked", "kpg_"), ("limited", "kp_"), ("disabled", "kp_"),
        ("expired", "kp_"))}
    acme = await insert(conn, "organizations", name="acme", plan="PRO", key_limit_override=30, created_at=now_us - 9 * DAY_US)
    beta = await insert(conn, "organizations", name="beta", plan="FREE", key_limit_override=None, created_at=now_us - 8 * DAY_US)
    acme_project = await insert(conn, "projects", org_id=acme, name="Default", key_count=2, created_at=now_us - 9 * DAY_US)
    beta_project = await insert(conn, "projects", org_id=beta, name="Default", key_count=1, created_at=now_us - 8 * DAY_US)
    for name, kind, org, revoked in (("management", "management", acme, None), ("gateway", "gateway", None, None),
                                     ("revoked", "gateway", None, now_us - DAY_US)):
        await insert(conn, "tokens", kind=kind, org_id=org, label=name, token_hash=secrets.hash_secret(secret[name]),
                     hint=secret[name][:8] + "…", created_at=now_us - 7 * DAY_US, last_used_at=now_us - HOUR_US,
                     revoked_at=revoked)
    anchor = now_us - 2 * HOUR_US  # a daily window that started two hours ago
    key_ids = {}
    for name, project, org, enabled, expires, extra in (
        ("limited", acme_project, acme, True, now_us + 30 * DAY_US, dict(
            all_time_limit=10 * NANOS, recurring_amount=2 * NANOS, recurring_value=1, recurring_unit="DAY",
            recurring_anchor=anchor, usage=1_500_000_000, last_used_at=now_us - HOUR_US, version=4)),
        ("disabled", acme_project, acme, False, None, {}),
        ("expired", beta_project, beta, True, now_us - DAY_US, dict(usage=250_000_000)),
    ):
        key_ids[name] = await insert(
            conn, "api_keys", project_id=project, org_id=org, name=name, key_hash=secrets.hash_secret(secret[name]),
            masked_key=secrets.mask_key(secret[name]), enabled=enabled, expires_at=expires,
            created_at=now_us - 5 * DAY_US, **extra)
    limited = key_ids["limited"]
    await insert(conn, "iam_rules", key_id=limited, position=0, type="ALLOW_PROVIDERS", rule_values='["openai"]')
    await insert(conn, "usage_windows", returning=False, key_id=limited, window_start=anchor - DAY_US, usage=1_000_000_000)
    await insert(conn, "usage_windows", returning=False, key_id=limited, window_start=anchor, usage=500_000_000)
    for request_id, occurred, cost, model, provider, source in (
        ("old-1", anchor - HOUR_US, 1_000_000_000, "openai/gpt-4o", "openai", "CREDITS"),
        ("old-2", anchor + HOUR_US, 500_000_000, None, None, "PROVIDER_KEY"),
    ):
        await insert(conn, "usage_records", key_id=limited, request_id=request_id, occurred_at=occurred,
                     recorded_at=occurred, model=model, provider=provider, cost=cost, source=source)
    await insert(conn, "usage_records", key_id=key_ids["expired"], request_id="old-3", occurred_at=now_us - 2 * DAY_US,
                 recorded_at=now_us - 2 * DAY_US, model="anthropic/claude-3-5-sonnet", provider="anthropic",
                 cost=250_000_000, source="CREDITS")
    for position, (model, provider, price_in, price_out) in enumerate((
        ("openai/gpt-4o", "openai", 2_500_000_000, 10 * NANOS),
        ("anthropic/claude-3-5-sonnet", "anthropic", 3 * NANOS, 15 * NANOS),
    )):
        await insert(conn, "catalog_offers", returning=False, model=model, provider=provider, position=position,
                     input_price=price_in, output_price=price_out)
    return {"secret": secret, "key_ids": key_ids}


DROPPED = {"api_keys": ("version",)}  # columns a later migration drops (migration 6: nobody read it)


async def test_an_old_database_upgrades_with_every_row_intact_and_its_keys_keep_working(connected):
    clock = FakeClock()
    now_us = to_micros(clock.now())
    assert await migrations.migrate(now_us, target=1) == [1]
    assert await migrations.applied_versions() == [1]
    filled = await fill_version_1(now_us)
    before = await table_rows()
    assert {table: len(rows) for table, rows in before.items()} == {
        "organizations": 2, "projects": 2, "tokens": 3, "api_keys": 3, "iam_rules": 1, "usage_windows": 2,
        "usage_records": 3, "catalog_offers": 2}

    assert await migrations.migrate(now_us) == ALL_VERSIONS[1:]
    assert await migrations.applied_versions() == ALL_VERSIONS
    after = await table_rows()
    # every old row is intact (but for the columns dropped later); columns added later hold their defaults
    # (a key never rolled has no previous secret)
    kept = {t: [{c: v for c, v in row.items() if c not in DROPPED.get(t, ())} for row in rows] for t, rows in before.items()}
    assert {t: [{c: row[c] for c in old} for row, old in zip(after[t], rows)] for t, rows in kept.items()} == kept
    assert not any(c in row for t, columns in DROPPED.items() for row in after[t] for c in columns)
    assert {t: len(rows) for t, rows in after.items()} == {t: len(rows) for t, rows in before.items()}
    assert all(row["previous_key_hash"] is None and row["previous_key_expires_at"] is None for row in after["api_keys"])
    assert await migrations.migrate(now_us) == []  # nothing left to apply

    # the upgraded database serves the old keys: a hold, a usage report, the totals on top of the old ones
    secret, key_ids = filled["secret"], filled["key_ids"]
    app = create_app(Settings(database_url=connected, poll_interval_ms=50), clock, manage_database=False)
    async with app.router.lifespan_context(app), httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://keyplane.test"
    ) as http:
        gateway = {"Authorization": f"Bearer {secret['gateway']}"}
        authorize = {"model": "openai/gpt-4o", "provider": "openai"}
        answer = (await http.post("/v1/authorize", headers=gateway, json={
            "key": secret["limited"], **authorize, "estimatedCost": "0.1", "requestId": "after-upgrade"})).json()
        assert (answer["allowed"], answer["code"]) == (True, "VALID")
        assert answer["keyId"] == ids.encode("ApiKey", key_ids["limited"])
        for name, code in (("disabled", "DISABLED"), ("expired", "EXPIRED")):
            answer = (await http.post("/v1/authorize", headers=gateway, json={"key": secret[name], **authorize})).json()
            assert answer["code"] == code
        refused = await http.post("/v1/authorize", headers={"Authorization": f"Bearer {secret['revoked']}"},
                                  json={"key": secret["limited"], **authorize})
        assert refused.status_code == 401
        usage = (await http.post("/v1/usage", headers=gateway, json={
            "keyId": ids.encode("ApiKey", key_ids["limited"]),
            "requestId": "after-upgrade", "cost": "0.25"})).json()
        assert usage == {"results": [{"requestId": "after-upgrade", "recorded": True}]}
        seen = (await http.post("/graphql", headers={"Authorization": f"Bearer {secret['management']}"}, json={
            "query": "query($id: ID!) { apiKey(id: $id) { name status usage currentPeriod { usage limit }"
                     " usageRecords { edges { node { requestId cost } } } } }",
            "variables": {"id": ids.encode("ApiKey", key_ids["limited"])}})).json()
    key = seen["data"]["apiKey"]
    assert (key["name"], key["status"], key["usage"]) == ("limited", "ACTIVE", "1.75")
    assert key["currentPeriod"] == {"usage": "0.75", "limit": "2"}
    assert [e["node"]["requestId"] for e in key["usageRecords"]["edges"]] == ["after-upgrade", "old-2", "old-1"]


def _expected_type(model: type[Model], field, dialect: str) -> str:
    if field.pk and dialect == "sqlite":
        return "integer"  # INTEGER PRIMARY KEY: SQLite's 64-bit rowid
    if isinstance(field, BigIntField):
        return "bigint"
    if isinstance(field, BooleanField):
        return "boolean"
    if isinstance(field, IntField):
        return "integer"
    if isinstance(field, CharField):
        return f"varchar({field.max_length})"
    if isinstance(field, TextField):
        return "text"
    raise AssertionError(f"{model.__name__}.{field.model_field_name}: no expected SQL type for {type(field).__name__}")


async def _columns(table: str) -> dict[str, tuple[str, bool]]:
    """column name -> (type, nullable), as the migrated database has it."""
    conn = sql.client()
    if sql.is_postgres(conn):
        rows = await sql.fetch(conn, "SELECT column_name, data_type, is_nullable, character_maximum_length"
                                     " FROM information_schema.columns WHERE table_schema = current_schema()"
                                     " AND table_name = ?", [table])
        return {r["column_name"]: (
            f"varchar({r['character_maximum_length']})" if r["data_type"] == "character varying" else r["data_type"],
            r["is_nullable"] == "YES") for r in rows}
    rows = await sql.fetch(conn, f"PRAGMA table_info({table})")
    return {r["name"]: (r["type"].lower().replace(" ", ""), not r["notnull"] and not r["pk"]) for r in rows}


async def test_every_model_field_is_a_column_of_the_migrated_table_with_its_type_and_nullability(connected):
    await migrations.migrate(to_micros(FakeClock().now()))
    dialect = "postgres" if sql.is_postgres(sql.client()) else "sqlite"
    model_classes = [m for m in vars(models).values() if isinstance(m, type) and issubclass(m, Model) and m is not Model]
    assert {m._meta.db_table for m in model_classes} >= {"organizations", "projects", "tokens", "api_keys", "iam_rules",
                                                          "usage_records"}
    for model in model_classes:
        table = model._meta.db_table
        columns = await _columns(table)
        assert columns, f"{model.__name__}: table {table} does not exist after the migrations"
        expected = {}
        for name, field in model._meta.fields_map.items():
            column = field.source_field or name
            expected[column] = (_expected_type(model, field, dialect), bool(field.null))
        assert expected == {name: columns.get(name) for name in expected}, f"{model.__name__} vs table {table}"
        assert set(columns) == set(expected), f"{table} has columns that {model.__name__} does not know"


async def test_concurrent_migrators_in_one_process_apply_each_migration_once(connected):
    now_us = to_micros(FakeClock().now())
    applied = await asyncio.gather(*(migrations.migrate(now_us) for _ in range(4)))
    assert sorted(v for versions in applied for v in versions) == ALL_VERSIONS
    assert await migrations.applied_versions() == ALL_VERSIONS


def _cli(url: str, *argv: str) -> subprocess.Popen:
    env = {**os.environ, "KEYPLANE_DATABASE_URL": url}
    return subprocess.Popen([sys.executable, "-m", "app", *argv], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


async def test_instances_starting_at_once_migrate_and_seed_the_catalog_exactly_once(empty_database_url, connected):
    """Three `keyplane migrate` processes on an empty database, as when a deployment starts
    several instances together: all succeed, each migration and the default catalog once."""
    processes = [_cli(empty_database_url, "migrate") for _ in range(3)]
    outcomes = [await asyncio.to_thread(p.communicate, timeout=60) for p in processes]
    for process, (_, stderr) in zip(processes, outcomes):
        assert process.returncode == 0, stderr
        assert f"schema at version {migrations.LATEST}" in stderr
    rows = await sql.fetch(sql.client(), "SELECT version FROM schema_migrations ORDER BY version")
    assert [r["version"] for r in rows] == ALL_VERSIONS
    offers = await sql.fetch_one(sql.client(), "SELECT COUNT(*) AS n FROM catalog_offers")
    assert offers["n"] == len(load_default_catalog().offers)
    seeded = await sql.fetch_one(sql.client(), "SELECT COUNT(*) AS n FROM changes WHERE kind = 'catalog'")
    assert seeded["n"] == 1
