"""The graphql-http audit (npm package graphql-http, ``auditServer``) against a live keyplane,
with a valid management token: every MUST and every SHOULD passes (no error, no warning).

node and the pinned package (package.json + package-lock.json here) are installed by
``.ci/install-graphql-http``; with CI=true this test fails when they are missing, elsewhere it
is skipped."""
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


def _require_audit() -> str:
    node = shutil.which("node")
    problem = None
    if node is None:
        problem = "node is not installed"
    elif not (HERE / "node_modules" / "graphql-http" / "package.json").is_file():
        problem = "tests/graphql_http/node_modules is missing"
    if problem is None:
        return node
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"the graphql-http audit cannot run: {problem} (run .ci/install-graphql-http)", pytrace=False)
    pytest.skip(f"graphql-http audit skipped: {problem} (run .ci/install-graphql-http)")


@pytest.fixture
def live(tmp_path):
    url = TEST_DATABASE_URL or f"sqlite://{tmp_path}/audit.sqlite3"
    server = LiveServer(create_app(Settings(database_url=url, poll_interval_ms=50), FakeClock())).start()

    async def setup():
        from app.store import sql

        if TEST_DATABASE_URL:
            await sql.execute(sql.client(), f"TRUNCATE {', '.join(t for t in TABLES if t != 'catalog_offers')} RESTART IDENTITY CASCADE")
        org = await orgs.create_org(FakeClock(), "audit")
        return (await tokens.create(FakeClock(), tokens.MANAGEMENT, org.id)).secret

    server.token = server.call(setup())
    yield server
    server.stop()


def test_graphql_http_audit_passes_without_warnings(live):
    node = _require_audit()
    run = subprocess.run([node, str(HERE / "audit.mjs"), f"{live.url}/graphql"], cwd=HERE, capture_output=True,
                         text=True, timeout=120, env={**os.environ, "KEYPLANE_AUDIT_TOKEN": live.token})
    assert run.returncode == 0, run.stderr
    results = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
    assert len(results) > 50, run.stdout  # the whole audit ran
    failures = [r for r in results if r["status"] in ("error", "warn")]
    assert failures == [], "\n".join(f"{r['status']} {r['id']} {r['name']}: {r['reason']}" for r in failures)
    must_and_should = [r for r in results if r["name"].startswith(("MUST", "SHOULD"))]
    assert must_and_should and all(r["status"] == "ok" for r in must_and_should)
