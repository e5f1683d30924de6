"""Two real `keyplane serve` processes on one database, as in a scaled-out deployment (one
PostgreSQL database; or one SQLite file shared by two processes on a host): concurrent
writes spread over both lose nothing and never pass a limit, and a change made through one
instance is enforced by the other within a second."""
from __future__ import annotations

import asyncio
import signal
import time
from contextlib import contextmanager
from dataclasses import dataclass

import asyncpg
import httpx
import pytest

from tests.support.documents import document
from tests.system import postgres, servers

PROPAGATION_S = 1.0
POLL_DEADLINE_S = 5.0


@dataclass
class Cluster:
    backend: str
    database_url: str
    a: servers.Instance
    b: servers.Instance
    management: str
    gateway: str

    @property
    def instances(self) -> list[servers.Instance]:
        return [self.a, self.b]


@contextmanager
def _database(backend: str, tmp_path_factory):
    if backend == "postgres":
        asyncio.run(postgres.require_server())
        with postgres.scratch_database_sync("kp_system") as url:
            yield url
    else:
        yield f"sqlite://{tmp_path_factory.mktemp('shared')}/keyplane.sqlite3"


@pytest.fixture(scope="module", params=["postgres", "sqlite"])
def cluster(request, tmp_path_factory):
    logs = tmp_path_factory.mktemp("instances")
    with _database(request.param, tmp_path_factory) as url:
        servers.cli(url, "migrate")  # as a deploy does before rolling out
        servers.cli(url, "org", "create", "system", "--plan", "free")
        management = servers.cli(url, "token", "create", "--org", "system", "--label", "tests")
        gateway = servers.cli(url, "token", "create", "--gateway", "--label", "tests")
        instances = []
        try:
            for name in ("a", "b"):
                instances.append(servers.start(url, logs / f"{name}.log", KEYPLANE_POLL_INTERVAL_MS="100"))
            for instance in instances:
                servers.wait_ready(instance)
            yield Cluster(request.param, url, *instances, management=management, gateway=gateway)
        finally:
            for instance in instances:
                servers.stop(instance)


@pytest.fixture
async def http():
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=64)) as client:
        yield client


async def graphql(http, instance, token: str, query: str, **variables) -> dict:
    response = await http.post(instance.base_url + "/graphql", headers={"Authorization": f"Bearer {token}"},
                               json={"query": query, "variables": variables})
    body = response.json()
    assert response.status_code == 200 and not body.get("errors"), body
    return body["data"]


async def new_project(http, cluster: Cluster, name: str) -> str:
    data = await graphql(http, cluster.a, cluster.management, document("CreateProject"), input={"name": name})
    payload = data["createProject"]
    assert payload["errors"] == [], payload
    return payload["project"]["id"]


async def create_key(http, cluster: Cluster, instance, project_id: str, **fields) -> dict:
    data = await graphql(http, instance, cluster.management, document("CreateApiKey"),
                         input={"projectId": project_id, "name": "system", **fields})
    return data["createApiKey"]


async def post(http, instance, path: str, body: dict, token: str) -> httpx.Response:
    return await http.post(instance.base_url + path, json=body, headers={"Authorization": f"Bearer {token}"})


async def authorize(http, cluster: Cluster, instance, token: str | None = None, **body) -> dict:
    response = await post(http, instance, "/v1/authorize", {"model": "openai/gpt-4o", **body}, token or cluster.gateway)
    assert response.status_code == 200, response.text
    return response.json()


async def key_usage(http, cluster: Cluster, instance, key_id: str) -> str:
    data = await graphql(http, instance, cluster.management, "query($id: ID!) { apiKey(id: $id) { usage } }", id=key_id)
    return data["apiKey"]["usage"]


async def test_usage_written_concurrently_through_both_instances_is_never_lost(cluster, http):
    project = await new_project(http, cluster, "usage")
    key = (await create_key(http, cluster, cluster.a, project))["apiKey"]
    limit = asyncio.Semaphore(48)

    async def send(instance, request_id: str) -> bool:
        async with limit:
            response = await post(http, instance, "/v1/usage",
                                  {"keyId": key["id"], "requestId": request_id, "cost": "0.001"}, cluster.gateway)
        assert response.status_code == 200, response.text
        (result,) = response.json()["results"]
        return result["recorded"]

    # 400 events alternating between the instances; the first 40 are also retried on the other instance
    sends = [send(cluster.instances[i % 2], f"req-{i}") for i in range(400)]
    sends += [send(cluster.instances[(i + 1) % 2], f"req-{i}") for i in range(40)]
    recorded = await asyncio.gather(*sends)
    assert recorded.count(True) == 400 and recorded.count(False) == 40
    assert await key_usage(http, cluster, cluster.a, key["id"]) == "0.4"
    assert await key_usage(http, cluster, cluster.b, key["id"]) == "0.4"
    for instance in cluster.instances:  # the hourly rollups lost nothing either: the summary reads them
        data = await graphql(http, instance, cluster.management,
                             "query($id: ID!) { apiKey(id: $id) { usageSummary { total requests } } }", id=key["id"])
        assert data["apiKey"]["usageSummary"] == {"total": "0.4", "requests": 400}


async def test_concurrent_key_creation_through_both_instances_never_passes_the_plan_quota(cluster, http):
    project = await new_project(http, cluster, "quota")
    payloads = await asyncio.gather(*(create_key(http, cluster, cluster.instances[i % 2], project) for i in range(12)))
    created = [p for p in payloads if p["apiKey"] is not None]
    refused = [p for p in payloads if p["apiKey"] is None]
    assert len(created) == 5  # the FREE plan's keys per project
    assert all(p["secret"] is None and [e["code"] for e in p["errors"]] == ["KEY_LIMIT_REACHED"] for p in refused)
    for instance in cluster.instances:
        data = await graphql(http, instance, cluster.management,
                             "query($id: ID!) { project(id: $id) { keyCount keyLimit canCreateKey } }", id=project)
        assert data["project"] == {"keyCount": 5, "keyLimit": 5, "canCreateKey": False}


async def test_concurrent_holds_through_both_instances_never_over_allocate_a_limit(cluster, http):
    project = await new_project(http, cluster, "holds")
    created = await create_key(http, cluster, cluster.a, project, allTimeLimit="1")
    answers = await asyncio.gather(*(
        authorize(http, cluster, cluster.instances[i % 2], key=created["secret"], estimatedCost="0.3",
                  requestId=f"hold-{i}")
        for i in range(12)))
    allowed = [a for a in answers if a["allowed"]]
    assert len(allowed) == 3  # 3 × 0.3 ≤ 1 < 4 × 0.3
    assert {a["code"] for a in answers if not a["allowed"]} == {"USAGE_EXCEEDED"}


async def _poll_until(check, what: str) -> float:
    """Seconds until ``check()`` is true (bounded: fails after POLL_DEADLINE_S)."""
    started = time.monotonic()
    while time.monotonic() - started < POLL_DEADLINE_S:
        if await check():
            return time.monotonic() - started
        await asyncio.sleep(0.02)
    raise AssertionError(f"{what}: not within {POLL_DEADLINE_S} s")


async def test_a_key_disabled_through_one_instance_is_refused_by_the_other_within_a_second(cluster, http):
    project = await new_project(http, cluster, "disable")
    created = await create_key(http, cluster, cluster.a, project)
    for instance in (cluster.b, cluster.a):  # both instances have the key cached as ACTIVE
        assert (await authorize(http, cluster, instance, key=created["secret"]))["code"] == "VALID"

    data = await graphql(http, cluster.a, cluster.management, document("SetApiKeyEnabled"),
                         input={"id": created["apiKey"]["id"], "enabled": False})
    assert data["setApiKeyEnabled"]["apiKey"]["status"] == "DISABLED"

    async def refused_by_b() -> bool:
        return (await authorize(http, cluster, cluster.b, key=created["secret"]))["code"] == "DISABLED"

    assert await _poll_until(refused_by_b, "instance B refusing the disabled key") < PROPAGATION_S


async def test_deletes_limits_and_usage_through_one_instance_are_enforced_by_the_other_within_a_second(cluster, http):
    project = await new_project(http, cluster, "propagation")
    limited = await create_key(http, cluster, cluster.a, project, allTimeLimit="1")
    doomed = await create_key(http, cluster, cluster.a, project)
    for created in (limited, doomed):  # B has both keys cached as usable
        assert (await authorize(http, cluster, cluster.b, key=created["secret"]))["code"] == "VALID"

    # usage recorded through A is enforced by B
    response = await post(http, cluster.a, "/v1/usage",
                          {"keyId": limited["apiKey"]["id"], "requestId": "spend-it-all", "cost": "1"}, cluster.gateway)
    assert response.json()["results"][0]["recorded"] is True

    async def exhausted_on_b() -> bool:
        return (await authorize(http, cluster, cluster.b, key=limited["secret"]))["code"] == "USAGE_EXCEEDED"

    assert await _poll_until(exhausted_on_b, "B enforcing usage recorded through A") < PROPAGATION_S

    # a limit raised through A lets the key through on B again
    data = await graphql(http, cluster.a, cluster.management, document("UpdateApiKeyLimits"),
                         input={"id": limited["apiKey"]["id"], "allTimeLimit": "2"})
    assert data["updateApiKeyLimits"]["errors"] == []

    async def allowed_on_b() -> bool:
        return (await authorize(http, cluster, cluster.b, key=limited["secret"]))["code"] == "VALID"

    assert await _poll_until(allowed_on_b, "B applying a limit raised through A") < PROPAGATION_S

    # a key deleted through A is unknown to B
    data = await graphql(http, cluster.a, cluster.management, document("DeleteApiKey"), input={"id": doomed["apiKey"]["id"]})
    assert data["deleteApiKey"]["errors"] == []

    async def gone_on_b() -> bool:
        return (await authorize(http, cluster, cluster.b, key=doomed["secret"]))["code"] == "NOT_FOUND"

    assert await _poll_until(gone_on_b, "B forgetting a key deleted through A") < PROPAGATION_S


async def test_a_revoked_gateway_token_stops_working_on_every_instance_within_a_second(cluster, http):
    token = servers.cli(cluster.database_url, "token", "create", "--gateway", "--label", "short-lived")
    for instance in cluster.instances:  # both instances have the token cached
        assert (await authorize(http, cluster, instance, token=token, key="kp_unknown"))["code"] == "NOT_FOUND"

    servers.cli(cluster.database_url, "token", "revoke", token)

    async def refused_everywhere() -> bool:
        statuses = [(await post(http, i, "/v1/authorize", {"key": "kp_unknown", "model": "openai/gpt-4o"}, token)).status_code
                    for i in cluster.instances]
        return statuses == [401, 401]

    assert await _poll_until(refused_everywhere, "both instances refusing the revoked token") < PROPAGATION_S


async def test_a_rolled_key_works_with_both_secrets_on_both_instances_until_rolled_again(cluster, http):
    project = await new_project(http, cluster, "roll")
    created = await create_key(http, cluster, cluster.a, project)
    first = created["secret"]
    for instance in cluster.instances:  # both have the first secret cached
        assert (await authorize(http, cluster, instance, key=first))["code"] == "VALID"
    roll = document("RollApiKey")
    data = await graphql(http, cluster.a, cluster.management, roll,
                         input={"id": created["apiKey"]["id"], "gracePeriod": {"value": 1, "unit": "HOUR"}})
    second = data["rollApiKey"]["secret"]
    for instance in cluster.instances:
        for secret in (first, second):
            answer = await authorize(http, cluster, instance, key=secret)
            assert (answer["code"], answer["keyId"]) == ("VALID", created["apiKey"]["id"]), instance.base_url

    # rolling again (through B, without a grace) ends the first grace and the second secret at once
    data = await graphql(http, cluster.b, cluster.management, roll, input={"id": created["apiKey"]["id"]})
    third = data["rollApiKey"]["secret"]

    async def only_the_third_works_everywhere() -> bool:
        codes = [(await authorize(http, cluster, instance, key=secret))["code"]
                 for instance in cluster.instances for secret in (first, second, third)]
        return codes == ["NOT_FOUND", "NOT_FOUND", "VALID"] * 2

    assert await _poll_until(only_the_third_works_everywhere, "both instances dropping the rolled secrets") < PROPAGATION_S


async def test_an_instance_stopped_with_sigterm_exits_cleanly_and_closes_its_connections(cluster, http, tmp_path):
    postgres_ = cluster.backend == "postgres"
    # on PostgreSQL its connections are told apart from A's and B's by their application name
    url = cluster.database_url + "?application_name=kp-sigterm" if postgres_ else cluster.database_url
    instance = servers.start(url, tmp_path / "c.log")
    try:
        servers.wait_ready(instance)
        assert (await authorize(http, cluster, instance, key="kp_unknown"))["code"] == "NOT_FOUND"
        if postgres_:
            assert await _backends("kp-sigterm") >= 1
    finally:
        servers.stop(instance)
    # uvicorn finishes its graceful shutdown (lifespan included), then re-raises SIGTERM
    assert instance.process.returncode in (0, -signal.SIGTERM), instance.log()
    assert "Traceback" not in instance.log(), instance.log()
    if postgres_:
        assert await _backends("kp-sigterm") == 0


async def _backends(application_name: str) -> int:
    conn = await asyncpg.connect(postgres.server_url(), timeout=5)
    try:
        return await conn.fetchval("SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = $1", application_name)
    finally:
        await conn.close()


def test_neither_instance_logged_an_error(cluster):
    """Runs last: after all the concurrency above, both instances are up and logged no error."""
    for instance in cluster.instances:
        log = instance.log()
        assert instance.process.poll() is None, log
        assert "Traceback" not in log and '"level": "error"' not in log, log
