"""Real GraphQL clients (npm packages pinned in package.json + package-lock.json here, installed by
``.ci/install-graphql-http``) run with node against a live keyplane, with a valid management
token. With CI=true their tests fail when node or node_modules is missing; elsewhere they skip."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from app.server import create_app
from app.services import orgs, tokens
from app.settings import Settings
from tests.conftest import TABLES, TEST_DATABASE_URL
from tests.support.clock import FakeClock
from tests.support.live import LiveServer

HERE = Path(__file__).resolve().parent
PACKAGES = ("graphql-http", "@apollo/client")


def _node() -> str:
    node = shutil.which("node")
    problem = None
    if node is None:
        problem = "node is not installed"
    elif not all((HERE / "node_modules" / package / "package.json").is_file() for package in PACKAGES):
        problem = "tests/graphql_http/node_modules is missing"
    if problem is None:
        return node
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"the GraphQL client tests cannot run: {problem} (run .ci/install-graphql-http)", pytrace=False)
    pytest.skip(f"GraphQL client tests skipped: {problem} (run .ci/install-graphql-http)")


@pytest.fixture
def live(tmp_path):
    url = TEST_DATABASE_URL or f"sqlite://{tmp_path}/clients.sqlite3"
    server = LiveServer(create_app(Settings(database_url=url, poll_interval_ms=50), FakeClock())).start()

    async def setup():
        from app.store import sql

        if TEST_DATABASE_URL:
            await sql.execute(sql.client(), f"TRUNCATE {', '.join(t for t in TABLES if t != 'catalog_offers')} RESTART IDENTITY CASCADE")
        org = await orgs.create_org(FakeClock(), "clients")
        return (await tokens.create(FakeClock(), tokens.MANAGEMENT, org.id)).secret

    server.token = server.call(setup())
    yield server
    server.stop()


@pytest.fixture
def run_node(live):
    """run_node("script.mjs") -> its stdout, run against the live server's /graphql with its token."""
    node = _node()

    def run(script: str) -> str:
        done = subprocess.run([node, str(HERE / script), f"{live.url}/graphql"], cwd=HERE, capture_output=True,
                              text=True, timeout=120, env={**os.environ, "KEYPLANE_AUDIT_TOKEN": live.token})
        assert done.returncode == 0, done.stderr
        return done.stdout

    return run


def json_lines(text: str) -> list:
    return [json.loads(line) for line in text.splitlines() if line.strip()]
