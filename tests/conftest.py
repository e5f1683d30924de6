"""Fixtures shared by every layer of tests.

The database is SQLite in a fresh file per test, or PostgreSQL when
KEYPLANE_TEST_DATABASE_URL is set (one scratch database per run, emptied before each test):
the same tests run on both backends.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import httpx
import pytest

from app import db
from app.domain.ids import encode
from app.domain.timeconv import to_micros
from app.server import create_app
from app.services import catalog, orgs, projects, tokens
from app.services.callers import Tenant
from app.settings import Settings
from app.store import sql
from tests.support.api import DataPlaneClient, GraphQLClient
from tests.support.clock import FakeClock

TEST_DATABASE_URL = os.environ.get("KEYPLANE_TEST_DATABASE_URL")
TABLES = (
    "webhook_deliveries", "alert_firings", "webhooks", "audit_events", "changes", "holds", "usage_rollups",
    "usage_records", "usage_windows", "iam_rules", "api_keys", "tokens", "projects", "organizations", "catalog_offers",
    *(("usage_request_ids",) if TEST_DATABASE_URL else ()),  # PostgreSQL only (migration 8)
)


def backend() -> str:
    return "postgres" if TEST_DATABASE_URL else "sqlite"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def database_url(tmp_path) -> str:
    return TEST_DATABASE_URL or f"sqlite://{tmp_path}/keyplane.sqlite3"


@pytest.fixture
async def database(database_url, clock):
    """An open, migrated, empty database with the default catalog."""
    settings = Settings(database_url=database_url)
    await db.open_database(settings, to_micros(clock.now()))
    if TEST_DATABASE_URL:
        await sql.execute(sql.client(), f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
        await catalog.seed_default(to_micros(clock.now()))
    yield database_url
    await db.close_database()


@pytest.fixture
def empty_database_url(database_url, clock, monkeypatch) -> str:
    """A database for code that opens and closes it by itself (the CLI), set in KEYPLANE_DATABASE_URL."""
    import asyncio

    async def empty() -> None:
        await db.open_database(Settings(database_url=database_url), to_micros(clock.now()))
        await sql.execute(sql.client(), f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
        await catalog.seed_default(to_micros(clock.now()))
        await db.close_database()

    if TEST_DATABASE_URL:
        asyncio.run(empty())
    monkeypatch.setenv("KEYPLANE_DATABASE_URL", database_url)
    return database_url


@pytest.fixture
def settings(database) -> Settings:
    # no webhook deliverer: tests/webhooks runs it (and drives it) itself
    return Settings(database_url=database, poll_interval_ms=50, webhook_delivery=False)


@pytest.fixture
async def app(settings, clock):
    application = create_app(settings, clock, manage_database=False)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def http(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://keyplane.test") as client:
        yield client


@dataclass
class TenantFixture:
    org_id: int
    name: str
    token: str
    project_id: str
    project_pk: int
    gql: GraphQLClient

    @property
    def tenant(self) -> Tenant:
        return Tenant(self.org_id, 0)


async def make_tenant(http, clock, name: str, plan: str = "free", key_limit: int | None = None) -> TenantFixture:
    org = await orgs.create_org(clock, name, plan, key_limit)
    token = await tokens.create(clock, tokens.MANAGEMENT, org.id, "tests")
    project = await projects.create_project(Tenant(org.id, token.id), clock, "Default")
    return TenantFixture(org.id, name, token.secret, encode("Project", project.id), project.id, GraphQLClient(http, token.secret))


@pytest.fixture
async def acme(http, clock) -> TenantFixture:
    return await make_tenant(http, clock, "acme")


@pytest.fixture
async def rival(http, clock) -> TenantFixture:
    """Another organization: must never see or touch acme's objects."""
    return await make_tenant(http, clock, "rival")


@pytest.fixture
async def gateway(http, clock) -> DataPlaneClient:
    created = await tokens.create(clock, tokens.GATEWAY, None, "tests")
    return DataPlaneClient(http, created.secret)
