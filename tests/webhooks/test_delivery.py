"""Delivery from the outbox: at least once, retried on the pinned schedule (on the fake clock, no
sleeps), never following redirects, visible in Webhook.deliveries, resent on demand; and the
deliverer the server starts delivers by itself."""
from __future__ import annotations

import asyncio
from dataclasses import replace

import httpx

from app.server import create_app
from tests.support.api import create_key
from tests.webhooks.conftest import add_webhook, deliveries
from tests.webhooks.receiver import Receiver


async def limit_event(acme, gateway, request_id: str = "r1") -> dict:
    """A key whose first usage fires key.limit_reached (and its 80% threshold: the webhook takes only the limit)."""
    key = (await create_key(acme, allTimeLimit="1"))["apiKey"]
    await gateway.usage({"keyId": key["id"], "requestId": request_id, "cost": "1"})
    return key


async def test_500_three_times_then_200_is_four_attempts_on_the_backoff_and_no_more(acme, gateway, receiver, deliver, clock):
    hook = await add_webhook(acme, receiver, events=["KEY_LIMIT_REACHED"])
    receiver.answers.extend([500, 500, 500, 200])
    await limit_event(acme, gateway)
    assert await deliver() == 1  # at once
    for wait_s in (5, 30, 120):
        clock.advance(seconds=wait_s - 1)
        assert await deliver() == 0, f"not before {wait_s} s"
        clock.advance(seconds=1)
        assert await deliver() == 1
    for _ in range(10):
        clock.advance(hours=12)
        assert await deliver() == 0
    assert len(receiver.received) == 4
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1  # the same event each time
    (log,) = await deliveries(acme, hook["id"])
    assert (log["attempts"], log["lastStatus"], log["nextAttemptAt"], log["lastError"]) == (4, 200, None, None)
    assert log["deliveredAt"] is not None and log["eventType"] == "KEY_LIMIT_REACHED"


async def test_a_receiver_that_always_fails_is_retried_for_three_days_then_given_up(acme, gateway, receiver, deliver, clock):
    hook = await add_webhook(acme, receiver, events=["KEY_LIMIT_REACHED"])
    receiver.answers.extend([503] * 100)
    await limit_event(acme, gateway)
    attempts = 0
    for _ in range(4 * 24 * 60):  # four days, a minute at a time
        attempts += await deliver()
        clock.advance(minutes=1)
    # 1 + 5 (5 s, 30 s, 2 min, 10 min, 1 h) + every 6 h until 3 days after the event (~11 more)
    assert 15 <= attempts <= 18 and attempts == len(receiver.received)
    (log,) = await deliveries(acme, hook["id"])
    assert log["attempts"] == attempts and log["lastStatus"] == 503
    assert log["deliveredAt"] is None and log["nextAttemptAt"] is None


async def test_redirects_are_not_followed(acme, gateway, receiver, deliver):
    hook = await add_webhook(acme, receiver, events=["KEY_LIMIT_REACHED"], path="/redirect")
    await limit_event(acme, gateway)
    await deliver()
    assert [r.path for r in receiver.received] == ["/redirect"]
    (log,) = await deliveries(acme, hook["id"])
    assert log["lastStatus"] == 302 and log["deliveredAt"] is None and log["nextAttemptAt"] is not None


async def test_a_resent_delivery_goes_again_with_the_same_id(acme, rival, gateway, receiver, deliver):
    hook = await add_webhook(acme, receiver, events=["KEY_LIMIT_REACHED"])
    await limit_event(acme, gateway)
    await deliver()
    (log,) = await deliveries(acme, hook["id"])
    refused = await rival.gql.mutate("ResendWebhookDelivery", id=log["id"])
    assert [e["code"] for e in refused["errors"]] == ["NOT_FOUND"] and refused["delivery"] is None
    assert await deliver() == 0
    resent = await acme.gql.mutate("ResendWebhookDelivery", id=log["id"])
    assert resent["errors"] == [] and resent["delivery"]["deliveredAt"] is None
    assert await deliver() == 1
    assert [r.headers["webhook-id"] for r in receiver.received] == [log["eventId"]] * 2


async def test_deleting_a_webhook_drops_its_pending_deliveries(acme, gateway, receiver, deliver):
    hook = await add_webhook(acme, receiver, events=["KEY_LIMIT_REACHED"])
    await limit_event(acme, gateway)
    assert (await acme.gql.mutate("DeleteWebhook", id=hook["id"]))["deletedId"] == hook["id"]
    assert await deliver() == 0 and receiver.received == []


async def test_the_server_starts_a_deliverer_that_delivers_by_itself(settings, clock, dns, acme, gateway, receiver, app):
    """A second instance on the same database, with its deliverer running (as `keyplane serve` has)."""
    instance = create_app(replace(settings, webhook_delivery=True, webhook_poll_ms=50), clock, manage_database=False,
                          resolver=dns)
    async with instance.router.lifespan_context(instance):
        await add_webhook(acme, receiver, events=["KEY_LIMIT_REACHED"])
        await limit_event(acme, gateway)
        await asyncio.wait_for(receiver.arrived.wait(), timeout=10)
    assert [e["type"] for e in receiver.events()] == ["key.limit_reached"]


async def test_the_address_is_checked_again_at_delivery_time(settings, clock, dns, acme, gateway):
    """DNS rebinding: a name that resolved to a public address at creation and to a private one at
    delivery is not called; the request never leaves."""
    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda request: sent.append(request) or httpx.Response(200))
    strict = replace(settings, webhook_allow_private=False)
    instance = create_app(strict, clock, manage_database=False, resolver=dns, webhook_transport=transport)
    async with instance.router.lifespan_context(instance):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=instance), base_url="http://keyplane.test") as http:
            acme.gql.http = http
            dns.names["hooks.example.com"] = ["93.184.216.34"]
            created = await acme.gql.mutate("CreateWebhook", projectId=acme.project_id, url="https://hooks.example.com/in",
                                            events=["KEY_ROLLED"])
            assert created["errors"] == []
            key = (await create_key(acme))["apiKey"]
            await acme.gql.mutate("RollApiKey", id=key["id"])
            dns.names["hooks.example.com"] = ["127.0.0.1"]
            assert await instance.state.deliverer.run_once() == 1
            assert sent == []
            (log,) = await deliveries(acme, created["webhook"]["id"])
            assert log["lastStatus"] is None and "private" in log["lastError"] and log["nextAttemptAt"] is not None
            dns.names["hooks.example.com"] = ["93.184.216.34"]  # back to public: sent to that address, by name
            clock.advance(seconds=5)
            assert await instance.state.deliverer.run_once() == 1
    (request,) = sent
    assert request.url.host == "93.184.216.34" and request.headers["host"] == "hooks.example.com"
    assert request.extensions.get("sni_hostname") == "hooks.example.com"


async def test_a_slow_receiver_times_out_and_is_retried(acme, gateway, deliver, clock, app):
    """An attempt gives up after the timeout (3 s in these tests) and is scheduled again."""
    stalled = asyncio.Event()

    async def handler(reader, writer):
        stalled.set()
        await asyncio.sleep(30)
        writer.close()

    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    receiver = Receiver(port=port)
    hook = await add_webhook(acme, receiver, events=["KEY_LIMIT_REACHED"])
    await limit_event(acme, gateway)
    async with server:
        assert await deliver() == 1
    (log,) = await deliveries(acme, hook["id"])
    assert log["attempts"] == 1 and log["deliveredAt"] is None and "Timeout" in log["lastError"]


async def test_finished_deliveries_leave_the_log_after_the_retention_but_pending_ones_stay(acme, gateway, receiver, deliver,
                                                                                           clock, app):
    hook = await add_webhook(acme, receiver, events=["KEY_LIMIT_REACHED"])
    receiver.answers.extend([200, 500])
    await limit_event(acme, gateway, "r1")  # delivered
    await deliver()
    await limit_event(acme, gateway, "r2")  # another key: fails, pending
    await deliver()
    clock.advance(days=31)
    await app.state.housekeeping()
    (left,) = await deliveries(acme, hook["id"])
    assert left["deliveredAt"] is None and left["nextAttemptAt"] is not None
