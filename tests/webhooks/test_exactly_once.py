"""Exactly once under concurrency: 400 usage events sent at once through two instances (each with
its own group commit) fire every alert of every limit once, whatever the interleaving."""
from __future__ import annotations

import asyncio
from collections import Counter
from decimal import Decimal

import httpx

from app.server import create_app
from tests.support.api import DataPlaneClient, create_key
from tests.webhooks.conftest import add_webhook

DAY = {"value": 1, "unit": "DAY"}


async def test_400_concurrent_events_on_two_instances_fire_each_alert_once(settings, clock, dns, acme, gateway, receiver,
                                                                          deliver, app):
    second = create_app(settings, clock, manage_database=False, resolver=dns)
    async with second.router.lifespan_context(second):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=second), base_url="http://keyplane.test") as http:
            other = DataPlaneClient(http, gateway.token)
            await add_webhook(acme, receiver, events=["KEY_USAGE_THRESHOLD", "KEY_LIMIT_REACHED"])
            key = (await create_key(acme, allTimeLimit="4", recurringLimit={"amount": "2", "window": DAY},
                                    alertThresholds=[25, 50, 75, 90]))["apiKey"]
            answers = await asyncio.gather(*(
                (gateway if i % 2 else other).usage({"keyId": key["id"], "requestId": f"r{i}", "cost": "0.01"})
                for i in range(400)))
            assert all(a["results"][0]["recorded"] for a in answers)
    while await deliver():
        pass
    fired = Counter((e["type"], e["data"]["limit"], e["data"]["threshold"]) for e in receiver.events())
    expected = {(kind, limit, t) for limit in ("ALL_TIME", "RECURRING")
                for kind, t in [("key.usage_threshold", 25), ("key.usage_threshold", 50), ("key.usage_threshold", 75),
                                ("key.usage_threshold", 90), ("key.limit_reached", 100)]}
    assert set(fired) == expected and set(fired.values()) == {1}, fired
    for event in receiver.events():  # each fired on the counters of the transaction that reached it
        data = event["data"]
        assert Decimal(data["usage"]) * 100 >= data["threshold"] * Decimal(data["amount"])
    usage = (await acme.gql.run("ApiKey", id=key["id"]))["apiKey"]["usage"]
    assert usage == "4"
