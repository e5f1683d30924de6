"""SIGKILL during usage ingestion and during key creation: after a restart the totals equal
the acknowledged events (each batch whole or absent) and no half-created key exists."""
from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from app import db
from app.domain.money import format_nanos
from app.settings import Settings
from app.store import sql
from tests.conftest import TEST_DATABASE_URL, TABLES
from tests.support.documents import document
from tests.system import servers
from tests.system.servers import cli

BATCH = 200


@pytest.fixture
def crash_db(tmp_path):
    url = TEST_DATABASE_URL or f"sqlite://{tmp_path}/crash.sqlite3"
    if TEST_DATABASE_URL:
        async def empty():
            from app.services import catalog

            await db.open_database(Settings(database_url=url), 0)
            await sql.execute(sql.client(), f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
            await catalog.seed_default(0)
            await db.close_database()

        asyncio.run(empty())
    cli(url, "org", "create", "crash", "--plan", "enterprise")
    return url, cli(url, "token", "create", "--org", "crash"), cli(url, "token", "create", "--gateway")


def launch(url, log_dir):
    instance = servers.start(url, log_dir / "server.log")
    servers.wait_ready(instance)
    return instance


def kill(instance):
    if instance.process.poll() is None:
        instance.process.kill()
        instance.process.wait(timeout=30)


def kill_while_sending(server, send, requests: int) -> set:
    """Send `requests` calls from 8 threads and SIGKILL the server once a tenth of them are
    acknowledged (so the kill lands mid-load however slow the machine is, never before the
    first answer); the calls' non-None results are what the server acknowledged before it died."""
    acknowledged = threading.Semaphore(0)

    def counted(i):
        result = send(i)
        if result is not None:
            acknowledged.release()
        return result

    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(counted, i) for i in range(requests)]
        deadline = time.monotonic() + 60
        for _ in range(max(1, requests // 10)):
            if not acknowledged.acquire(timeout=max(0.0, deadline - time.monotonic())):
                break
        kill(server)
        return {f.result() for f in futures} - {None}


_clients = threading.local()


def post(url: str, **kwargs) -> httpx.Response:
    """httpx.post through one client per thread: a new client per call builds a TLS context
    under the GIL (~25 ms), which made 4,000 calls from 8 threads take minutes."""
    client = getattr(_clients, "client", None)
    if client is None:
        client = _clients.client = httpx.Client()
    return client.post(url, **kwargs)


def graphql(server, token, name, variables):
    response = post(f"{server.base_url}/graphql", json={"query": document(name), "variables": variables},
                    headers={"Authorization": f"Bearer {token}"}, timeout=30)
    return response.json()["data"]


def rows(url, query, params=()):
    async def go():
        await db.open_database(Settings(database_url=url), 0)
        try:
            return await sql.fetch(sql.client(), query, list(params))
        finally:
            await db.close_database()

    return asyncio.run(go())


def test_killed_during_usage_ingestion_keeps_whole_batches(crash_db, tmp_path):
    url, management, gateway = crash_db
    server = launch(url, tmp_path)
    try:
        project_id = graphql(server, management, "CreateProject", {"input": {"name": "P"}})["createProject"]["project"]["id"]
        key_id = graphql(server, management, "CreateApiKey", {"input": {"projectId": project_id, "name": "k"}})[
            "createApiKey"]["apiKey"]["id"]

        def send(batch: int) -> int | None:
            events = [{"keyId": key_id, "requestId": f"b{batch}-{i}", "cost": "0.001"} for i in range(BATCH)]
            try:
                response = post(f"{server.base_url}/v1/usage", json={"events": events},
                                headers={"Authorization": f"Bearer {gateway}"}, timeout=30)
                return batch if response.status_code == 200 else None
            except httpx.TransportError:
                return None

        acknowledged = kill_while_sending(server, send, 200)
    finally:
        kill(server)
    assert acknowledged, "no batch was acknowledged before the kill: the test proved nothing"
    per_batch: dict[str, int] = {}
    for row in rows(url, "SELECT request_id FROM usage_records"):
        batch = row["request_id"].split("-")[0]
        per_batch[batch] = per_batch.get(batch, 0) + 1
    assert set(per_batch.values()) <= {BATCH}, "a batch was half recorded"
    assert {f"b{b}" for b in acknowledged} <= set(per_batch), "an acknowledged batch was lost"
    usage = rows(url, "SELECT usage FROM api_keys")[0]["usage"]
    assert usage == sum(per_batch.values()) * 1_000_000  # 0.001 dollars = 1,000,000 nanos each

    restarted = servers.start(url, tmp_path / "restarted.log")
    try:
        servers.wait_ready(restarted)
        key = graphql(restarted, management, "ApiKey", {"id": key_id})["apiKey"]
        assert key["usage"] == format_nanos(usage)
    finally:
        servers.stop(restarted)


def test_killed_during_group_committed_single_events_loses_no_acknowledged_one(crash_db, tmp_path):
    """Single events share transactions (group commit): one acknowledged is durable, and
    the totals equal exactly the records that made it."""
    url, management, gateway = crash_db
    server = launch(url, tmp_path)
    try:
        project_id = graphql(server, management, "CreateProject", {"input": {"name": "P"}})["createProject"]["project"]["id"]
        key_id = graphql(server, management, "CreateApiKey", {"input": {"projectId": project_id, "name": "k"}})[
            "createApiKey"]["apiKey"]["id"]

        def send(n: int) -> str | None:
            try:
                response = post(f"{server.base_url}/v1/usage",
                                json={"keyId": key_id, "requestId": f"s{n}", "cost": "0.001"},
                                headers={"Authorization": f"Bearer {gateway}"}, timeout=30)
                ok = response.status_code == 200 and response.json()["results"][0]["recorded"]
                return f"s{n}" if ok else None
            except httpx.TransportError:
                return None

        acknowledged = kill_while_sending(server, send, 4000)
    finally:
        kill(server)
    assert acknowledged, "no event was acknowledged before the kill: the test proved nothing"
    recorded = {row["request_id"] for row in rows(url, "SELECT request_id FROM usage_records")}
    assert acknowledged <= recorded, "an acknowledged event was lost"
    assert rows(url, "SELECT usage FROM api_keys")[0]["usage"] == len(recorded) * 1_000_000


def test_killed_during_group_committed_holds_loses_no_acknowledged_one(crash_db, tmp_path):
    """Holds share transactions (group commit): every hold a gateway was told about survives."""
    url, management, gateway = crash_db
    server = launch(url, tmp_path)
    try:
        project_id = graphql(server, management, "CreateProject", {"input": {"name": "P"}})["createProject"]["project"]["id"]
        secret = graphql(server, management, "CreateApiKey", {"input": {"projectId": project_id, "name": "k",
                                                                        "allTimeLimit": "1000"}})["createApiKey"]["secret"]

        def hold(n: int) -> str | None:
            try:
                response = post(f"{server.base_url}/v1/authorize",
                                json={"key": secret, "model": "openai/gpt-4o", "estimatedCost": "0.001",
                                      "requestId": f"h{n}"},
                                headers={"Authorization": f"Bearer {gateway}"}, timeout=30)
                return f"h{n}" if response.status_code == 200 and response.json()["allowed"] else None
            except httpx.TransportError:
                return None

        acknowledged = kill_while_sending(server, hold, 4000)
    finally:
        kill(server)
    assert acknowledged, "no hold was acknowledged before the kill: the test proved nothing"
    held = {row["request_id"] for row in rows(url, "SELECT request_id FROM holds")}
    assert acknowledged <= held, "a hold the gateway was told about was lost"


def test_killed_during_key_creation_leaves_no_half_created_key(crash_db, tmp_path):
    url, management, _ = crash_db
    server = launch(url, tmp_path)
    try:
        project_id = graphql(server, management, "CreateProject", {"input": {"name": "P"}})["createProject"]["project"]["id"]

        def create(i: int) -> str | None:
            try:
                data = graphql(server, management, "CreateApiKey", {"input": {
                    "projectId": project_id, "name": f"k{i}", "allTimeLimit": "1",
                    "iamRules": [{"type": "ALLOW_PROVIDERS", "values": ["openai"]}]}})
                return data["createApiKey"]["apiKey"]["id"]
            except (httpx.TransportError, ValueError, KeyError, TypeError):
                return None

        acknowledged = kill_while_sending(server, create, 300)
    finally:
        kill(server)
    assert acknowledged
    keys = rows(url, "SELECT id FROM api_keys")
    rules = rows(url, "SELECT key_id FROM iam_rules")
    project = rows(url, "SELECT key_count FROM projects WHERE name = 'P'")[0]
    assert project["key_count"] == len(keys), "the quota counter disagrees with the keys"
    assert {r["key_id"] for r in rules} == {k["id"] for k in keys}, "a key without its rules, or rules without a key"
    assert len(keys) >= len(acknowledged)


def test_killed_during_a_burst_of_changes_leaves_no_change_without_its_event_nor_an_event_without_its_change(
        crash_db, tmp_path):
    import json

    from app.domain.ids import encode

    url, management, _ = crash_db
    server = launch(url, tmp_path)
    try:
        project_id = graphql(server, management, "CreateProject", {"input": {"name": "P"}})["createProject"]["project"]["id"]
        targets = [graphql(server, management, "CreateApiKey", {"input": {"projectId": project_id, "name": f"t{i}"}})[
            "createApiKey"]["apiKey"]["id"] for i in range(8)]

        def change(i: int) -> tuple | None:
            try:
                if i % 2 == 0:
                    data = graphql(server, management, "CreateApiKey",
                                   {"input": {"projectId": project_id, "name": f"c{i}"}})
                    return ("created", data["createApiKey"]["apiKey"]["id"])
                data = graphql(server, management, "RenameApiKey", {"input": {"id": targets[i % 8], "name": f"r{i}"}})
                return ("renamed", data["renameApiKey"]["apiKey"]["name"])
            except (httpx.TransportError, ValueError, KeyError, TypeError):
                return None

        acknowledged = kill_while_sending(server, change, 600)
    finally:
        kill(server)
    assert acknowledged, "no change was acknowledged before the kill: the test proved nothing"
    keys = {encode("ApiKey", row["id"]): row["name"] for row in rows(url, "SELECT id, name FROM api_keys")}
    events = rows(url, "SELECT action, target_id, changes FROM audit_events WHERE action IN"
                       " ('KEY_CREATED', 'KEY_RENAMED') ORDER BY id")
    created = [e["target_id"] for e in events if e["action"] == "KEY_CREATED"]
    assert sorted(created) == sorted(keys), "a key without its KEY_CREATED event, or an event without its key"
    assert {key for kind, key in acknowledged if kind == "created"} <= set(keys)
    renamed_to = {}
    for event in events:
        if event["action"] == "KEY_RENAMED":
            (name_change,) = json.loads(event["changes"])
            chain = renamed_to.setdefault(event["target_id"], [])
            # each event's "before" is what the previous one left: no change between two events went unrecorded
            index = targets.index(event["target_id"])
            assert name_change["before"] == (chain[-1] if chain else f"t{index}"), event
            chain.append(name_change["after"])
    for index, target in enumerate(targets):
        # the key's name is the one its last event says; a key never renamed kept its first name
        assert keys[target] == renamed_to.get(target, [f"t{index}"])[-1], target
    all_renames = {name for names in renamed_to.values() for name in names}
    assert {name for kind, name in acknowledged if kind == "renamed"} <= all_renames
