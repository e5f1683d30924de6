"""`keyplane serve --workers N`: N processes share the port and the database, each with its
own caches and change feed, so a change made through any of them is enforced by all."""
from __future__ import annotations

import subprocess
import time

import httpx
import pytest

from tests.conftest import TEST_DATABASE_URL
from tests.support.documents import document
from tests.system import servers

PROPAGATION_S = 1.0


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _worker_pids(pid: int) -> set[int]:
    """The uvicorn workers: children of the supervisor that run the app (not multiprocessing's tracker)."""
    found = set()
    for child in _children(pid):
        try:
            cmdline = open(f"/proc/{child}/cmdline", "rb").read().replace(b"\0", b" ")
        except OSError:
            continue
        if b"spawn_main" in cmdline:
            found.add(child)
    return found


@pytest.fixture
def two_workers(tmp_path):
    url = TEST_DATABASE_URL or f"sqlite://{tmp_path}/keyplane.sqlite3"
    servers.cli(url, "migrate")
    org = f"workers{time.monotonic_ns()}"
    servers.cli(url, "org", "create", org, "--plan", "free")
    management = servers.cli(url, "token", "create", "--org", org)
    gateway = servers.cli(url, "token", "create", "--gateway")
    instance = servers.start(url, tmp_path / "server.log", args=("--workers", "2"), KEYPLANE_POLL_INTERVAL_MS="100")
    try:
        servers.wait_ready(instance)
        yield instance, management, gateway
    finally:
        servers.stop(instance)


def _gql(instance, token, name, **variables):
    response = httpx.post(f"{instance.base_url}/graphql", json={"query": document(name), "variables": variables},
                          headers={"Authorization": f"Bearer {token}"}, timeout=30)
    return response.json()["data"]


def test_two_workers_serve_one_port_and_enforce_a_change_made_through_either(two_workers):
    instance, management, gateway = two_workers
    deadline = time.monotonic() + 20
    while len(_worker_pids(instance.process.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(_worker_pids(instance.process.pid)) == 2

    project = _gql(instance, management, "CreateProject", input={"name": "P"})["createProject"]["project"]["id"]
    created = _gql(instance, management, "CreateApiKey", input={"projectId": project, "name": "k"})["createApiKey"]
    secret, key_id = created["secret"], created["apiKey"]["id"]

    def authorize_on_fresh_connections(count: int) -> set[str]:
        codes = set()
        for _ in range(count):  # a new connection each time: the kernel spreads them over the workers
            answer = httpx.post(f"{instance.base_url}/v1/authorize", json={"key": secret, "model": "openai/gpt-4o"},
                                headers={"Authorization": f"Bearer {gateway}", "Connection": "close"}, timeout=10)
            codes.add(answer.json()["code"])
        return codes

    assert authorize_on_fresh_connections(30) == {"VALID"}  # every worker has the key cached now
    _gql(instance, management, "SetApiKeyEnabled", input={"id": key_id, "enabled": False})
    time.sleep(PROPAGATION_S)
    assert authorize_on_fresh_connections(30) == {"DISABLED"}

    servers.stop(instance)
    assert instance.process.returncode == 0
    assert _worker_pids(instance.process.pid) == set()


def test_workers_must_be_a_sensible_number(tmp_path):
    for bad in ("0", "-1", "two", "65"):
        done = subprocess.run(["python", "-m", "app", "serve", "--workers", bad], cwd=servers.ROOT,
                              capture_output=True, text=True, timeout=30,
                              env=servers._env(f"sqlite://{tmp_path}/x.sqlite3"))
        assert done.returncode == 2, done
        assert "--workers" in done.stderr and "Traceback" not in done.stderr
