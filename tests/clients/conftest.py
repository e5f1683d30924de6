"""The generated clients against a real keyplane over HTTP (tests/support/live.py), with an
injected clock. The clients and their tools (the installed keyplane_client, mypy, node and
clients/typescript/node_modules) come from `.ci/clients`: on CI (CI=true) a missing one fails
the tests, elsewhere it skips them."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from app.server import create_app
from app.services import orgs, tokens
from app.settings import Settings
from tests.conftest import TABLES, TEST_DATABASE_URL
from tests.support.clock import FakeClock
from tests.support.live import LiveServer

REPO = Path(__file__).resolve().parents[2]
CLIENTS = REPO / "clients"


def require(available: bool, problem: str) -> None:
    """Skip a client test whose tool is missing, except on CI, where that is a failure."""
    if available:
        return
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"client tests cannot run: {problem} (run .ci/clients)", pytrace=False)
    pytest.skip(f"client tests skipped: {problem} (run .ci/clients)")


@dataclass
class Keyplane:
    server: LiveServer
    clock: FakeClock
    management: str
    gateway: str

    @property
    def graphql_url(self) -> str:
        return f"{self.server.url}/graphql"

    def record_usage(self, key_id: str, events: list[tuple[str, str, str]]) -> None:
        """What the gateway reports after requests: (request id, cost, source) per event."""
        response = httpx.post(f"{self.server.url}/v1/usage", headers={"Authorization": f"Bearer {self.gateway}"}, json={
            "events": [{"keyId": key_id, "requestId": request_id, "cost": cost, "model": "openai/gpt-4o",
                        "provider": "openai", "source": source} for request_id, cost, source in events]}, timeout=30)
        assert response.status_code == 200, response.text


@pytest.fixture
def keyplane(tmp_path):
    """A live server on its own database (emptied first on PostgreSQL), with organization `clients` (PRO)."""
    clock = FakeClock()
    url = TEST_DATABASE_URL or f"sqlite://{tmp_path}/clients.sqlite3"
    # no webhook deliverer: deliveries wait in the log (the scenario reads them), nothing leaves
    server = LiveServer(create_app(Settings(database_url=url, poll_interval_ms=50, webhook_delivery=False), clock)).start()

    async def setup() -> tuple[str, str]:
        from app.store import sql

        if TEST_DATABASE_URL:
            await sql.execute(sql.client(), f"TRUNCATE {', '.join(t for t in TABLES if t != 'catalog_offers')} "
                                            "RESTART IDENTITY CASCADE")
        org = await orgs.create_org(clock, "clients", "pro")
        management = await tokens.create(clock, tokens.MANAGEMENT, org.id, "clients")
        gateway = await tokens.create(clock, tokens.GATEWAY, None, "clients")
        return management.secret, gateway.secret

    try:
        management, gateway = server.call(setup())
        yield Keyplane(server, clock, management, gateway)
    finally:
        server.stop()
