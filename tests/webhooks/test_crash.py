"""A delivering instance killed (SIGKILL) mid-delivery loses nothing: another instance sends the
event once the dead one's claim has expired, with the same webhook-id. Real `keyplane serve`
processes on one database (the test's SQLite file, or its PostgreSQL database)."""
from __future__ import annotations

import asyncio
import signal
import time

import httpx

from tests.support.documents import document
from tests.system import servers
from tests.webhooks.receiver import Receiver, ReceiverServer

ENV = {"KEYPLANE_WEBHOOK_ALLOW_PRIVATE": "true", "KEYPLANE_WEBHOOK_TIMEOUT_MS": "1500", "KEYPLANE_WEBHOOK_POLL_MS": "100",
       "KEYPLANE_POLL_INTERVAL_MS": "100"}


async def graphql(http: httpx.AsyncClient, instance, token: str, document_name: str, /, **input_fields) -> dict:
    response = await http.post(instance.base_url + "/graphql", json={"query": document(document_name), "variables": {"input": input_fields}},
                               headers={"Authorization": f"Bearer {token}"})
    body = response.json()
    assert response.status_code == 200 and not body.get("errors"), body
    (payload,) = body["data"].values()
    assert payload["errors"] == [], payload
    return payload


async def ready(instance) -> None:
    await asyncio.to_thread(servers.wait_ready, instance)


async def test_sigkill_mid_delivery_delivers_later_from_another_instance(empty_database_url, tmp_path):
    url = empty_database_url
    servers.cli(url, "org", "create", "crash", "--plan", "pro")
    management = servers.cli(url, "token", "create", "--org", "crash", "--label", "tests")
    gateway = servers.cli(url, "token", "create", "--gateway", "--label", "tests")
    receiver = Receiver(stall=1)
    server = ReceiverServer(receiver)
    await server.start()
    first = servers.start(url, tmp_path / "first.log", **ENV)
    second = None
    try:
        await ready(first)
        async with httpx.AsyncClient(timeout=30) as http:
            project = (await graphql(http, first, management, "CreateProject", name="p"))["project"]
            hook = await graphql(http, first, management, "CreateWebhook", projectId=project["id"], url=receiver.url(),
                                 events=["KEY_LIMIT_REACHED"])
            receiver.secret = hook["secret"]
            key = (await graphql(http, first, management, "CreateApiKey", projectId=project["id"], name="k",
                                 allTimeLimit="1", alertThresholds=[]))["apiKey"]
            usage = await http.post(first.base_url + "/v1/usage", headers={"Authorization": f"Bearer {gateway}"},
                                    json={"keyId": key["id"], "requestId": "r1", "cost": "1"})
            assert usage.status_code == 200
            await asyncio.wait_for(receiver.arrived.wait(), timeout=20)  # the first attempt is in flight
            first.process.send_signal(signal.SIGKILL)
            first.process.wait(timeout=10)
            receiver.arrived.clear()
            killed_at = time.monotonic()
            second = servers.start(url, tmp_path / "second.log", **ENV)
            await ready(second)
            await asyncio.wait_for(receiver.arrived.wait(), timeout=30)
            assert time.monotonic() - killed_at >= 1  # only once the dead instance's claim expired
            await asyncio.sleep(1.5)  # nothing else arrives
    finally:
        receiver.release.set()
        for instance in (first, second):
            if instance is not None:
                servers.stop(instance)
        await server.stop()
    assert len(receiver.received) == 2 and receiver.bad_signatures == 0
    assert receiver.received[0].headers["webhook-id"] == receiver.received[1].headers["webhook-id"]
    assert [r.event["type"] for r in receiver.received] == ["key.limit_reached"] * 2


async def test_400_concurrent_events_through_two_real_instances_fire_each_alert_once(empty_database_url, tmp_path):
    """Two `keyplane serve` processes, both delivering: every alert fires once, so exactly one event id
    per alert arrives (delivery is at least once: an attempt whose answer came after its timeout, on a
    loaded machine, is sent again with the same webhook-id, which receivers deduplicate by)."""
    url = empty_database_url
    servers.cli(url, "org", "create", "twins", "--plan", "pro")
    management = servers.cli(url, "token", "create", "--org", "twins", "--label", "tests")
    gateway = servers.cli(url, "token", "create", "--gateway", "--label", "tests")
    receiver = Receiver()
    server = ReceiverServer(receiver)
    await server.start()
    instances = [servers.start(url, tmp_path / f"{name}.log", **{**ENV, "KEYPLANE_WEBHOOK_TIMEOUT_MS": "5000"})
                 for name in ("a", "b")]
    try:
        for instance in instances:
            await ready(instance)
        async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=100)) as http:
            a, b = instances
            project = (await graphql(http, a, management, "CreateProject", name="p"))["project"]
            hook = await graphql(http, a, management, "CreateWebhook", projectId=project["id"], url=receiver.url(),
                                 events=["KEY_USAGE_THRESHOLD", "KEY_LIMIT_REACHED"])
            receiver.secret = hook["secret"]
            key = (await graphql(http, b, management, "CreateApiKey", projectId=project["id"], name="k", allTimeLimit="4",
                                 recurringLimit={"amount": "2", "window": {"value": 1, "unit": "DAY"}},
                                 alertThresholds=[25, 50, 75, 90]))["apiKey"]

            async def spend(i: int) -> bool:
                response = await http.post(instances[i % 2].base_url + "/v1/usage", headers={"Authorization": f"Bearer {gateway}"},
                                           json={"keyId": key["id"], "requestId": f"r{i}", "cost": "0.01"})
                return response.status_code == 200 and response.json()["results"][0]["recorded"]

            assert all(await asyncio.gather(*(spend(i) for i in range(400))))
            deadline = time.monotonic() + 30
            while len({r.headers["webhook-id"] for r in receiver.received}) < 10 and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            await asyncio.sleep(1.5)  # and nothing more arrives
    finally:
        for instance in instances:
            servers.stop(instance)
        await server.stop()
    by_id = {r.headers["webhook-id"]: r.event for r in receiver.received}
    fired = sorted((e["data"]["limit"], e["type"], e["data"]["threshold"]) for e in by_id.values())
    assert fired == sorted((limit, kind, t) for limit in ("ALL_TIME", "RECURRING")
                           for kind, t in [("key.usage_threshold", 25), ("key.usage_threshold", 50),
                                           ("key.usage_threshold", 75), ("key.usage_threshold", 90),
                                           ("key.limit_reached", 100)])
    assert receiver.bad_signatures == 0
