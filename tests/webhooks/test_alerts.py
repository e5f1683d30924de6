"""Budget alerts end to end: usage recorded on /v1/usage, the deliverer run on the fake clock, and
a real receiver that verifies every signature. Each alert fires once per key, limit, window and
threshold; key.limit_reached at 100%."""
from __future__ import annotations

from tests.support.api import create_key
from tests.webhooks.conftest import add_webhook

DAY = {"value": 1, "unit": "DAY"}


def alerts(receiver) -> list[tuple]:
    return [(e["type"], e["data"]["limit"], e["data"]["threshold"], e["data"]["usage"], e["data"]["amount"])
            for e in receiver.events()]


async def spend(gateway, key_id: str, request_id: str, cost: str) -> None:
    result = await gateway.usage({"keyId": key_id, "requestId": request_id, "cost": cost})
    assert result["results"][0]["recorded"], result


async def test_each_threshold_fires_once_when_usage_first_reaches_it(acme, gateway, receiver, deliver):
    await add_webhook(acme, receiver)
    key = (await create_key(acme, allTimeLimit="10", alertThresholds=[50, 80]))["apiKey"]
    await spend(gateway, key["id"], "r1", "4.999999999")
    assert await deliver() == 0  # below every threshold: nothing
    await spend(gateway, key["id"], "r2", "0.000000001")
    await deliver()
    assert alerts(receiver) == [("key.usage_threshold", "ALL_TIME", 50, "5", "10")]
    await spend(gateway, key["id"], "r3", "3.5")  # 8.5: past 80
    await spend(gateway, key["id"], "r4", "0.5")  # 9: nothing new
    await deliver()
    await spend(gateway, key["id"], "r5", "1")  # 10: the limit
    await spend(gateway, key["id"], "r6", "1")  # 11: nothing new
    await deliver()
    assert alerts(receiver) == [
        ("key.usage_threshold", "ALL_TIME", 50, "5", "10"),
        ("key.usage_threshold", "ALL_TIME", 80, "8.5", "10"),
        ("key.limit_reached", "ALL_TIME", 100, "10", "10"),
    ]
    first = receiver.events()[0]
    assert first["data"]["keyId"] == key["id"] and first["data"]["projectId"] == acme.project_id
    assert "windowStart" not in first["data"]
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 3


async def test_one_event_past_several_thresholds_fires_each_of_them(acme, gateway, receiver, deliver):
    await add_webhook(acme, receiver)
    key = (await create_key(acme, allTimeLimit="1", alertThresholds=[10, 20, 90]))["apiKey"]
    await spend(gateway, key["id"], "r1", "5")
    await deliver()
    assert sorted((t, th) for t, _, th, _, _ in alerts(receiver)) == [
        ("key.limit_reached", 100), ("key.usage_threshold", 10), ("key.usage_threshold", 20), ("key.usage_threshold", 90)]


async def test_a_new_window_fires_the_thresholds_again(acme, gateway, receiver, deliver, clock):
    await add_webhook(acme, receiver)
    key = (await create_key(acme, recurringLimit={"amount": "2", "window": DAY}))["apiKey"]
    await spend(gateway, key["id"], "r1", "1.6")
    await spend(gateway, key["id"], "r2", "0.1")
    await deliver()
    clock.advance(days=1)
    await spend(gateway, key["id"], "r3", "1.7")
    await deliver()
    events = receiver.events()
    assert [(e["type"], e["data"]["limit"], e["data"]["threshold"], e["data"]["usage"]) for e in events] == [
        ("key.usage_threshold", "RECURRING", 80, "1.6"), ("key.usage_threshold", "RECURRING", 80, "1.7")]
    assert events[0]["data"]["windowStart"] != events[1]["data"]["windowStart"]


async def test_thresholds_apply_to_the_all_time_limit_and_the_window_alike(acme, gateway, receiver, deliver):
    await add_webhook(acme, receiver)
    key = (await create_key(acme, allTimeLimit="10", recurringLimit={"amount": "1", "window": DAY}))["apiKey"]
    await spend(gateway, key["id"], "r1", "1")
    await deliver()
    assert sorted(alerts(receiver)) == [("key.limit_reached", "RECURRING", 100, "1", "1"),
                                        ("key.usage_threshold", "RECURRING", 80, "1", "1")]


async def test_lowering_a_limit_below_usage_fires_limit_reached_on_the_next_usage_once(acme, gateway, receiver, deliver):
    await add_webhook(acme, receiver, events=["KEY_LIMIT_REACHED"])
    key = (await create_key(acme, allTimeLimit="100"))["apiKey"]
    await spend(gateway, key["id"], "r1", "10")
    changed = await acme.gql.mutate("UpdateApiKeyLimits", id=key["id"], allTimeLimit="5")
    assert changed["errors"] == []
    assert await deliver() == 0  # a change of limit records no usage: nothing yet
    await spend(gateway, key["id"], "r2", "0.01")
    await spend(gateway, key["id"], "r3", "0.01")
    await deliver()
    await spend(gateway, key["id"], "r4", "0.01")
    await deliver()
    assert alerts(receiver) == [("key.limit_reached", "ALL_TIME", 100, "10.01", "5")]


async def test_a_webhook_gets_only_the_events_it_asked_for_and_a_disabled_one_nothing(acme, gateway, receiver, deliver):
    hook = await add_webhook(acme, receiver, events=["KEY_LIMIT_REACHED"])
    key = (await create_key(acme, allTimeLimit="1"))["apiKey"]
    await spend(gateway, key["id"], "r1", "0.9")
    await deliver()
    assert receiver.received == []
    off = await acme.gql.mutate("UpdateWebhook", id=hook["id"], enabled=False)
    assert off["webhook"]["enabled"] is False
    await spend(gateway, key["id"], "r2", "0.5")
    await deliver()
    assert receiver.received == []


async def test_rolled_and_deleted_keys_are_told(acme, gateway, receiver, deliver):
    await add_webhook(acme, receiver, events=["KEY_ROLLED", "KEY_DELETED"])
    key = (await create_key(acme, name="prod"))["apiKey"]
    assert (await acme.gql.mutate("RollApiKey", id=key["id"], gracePeriod={"value": 1, "unit": "HOUR"}))["errors"] == []
    assert (await acme.gql.mutate("DeleteApiKey", id=key["id"]))["errors"] == []
    await deliver()
    events = receiver.events()
    assert [e["type"] for e in events] == ["key.rolled", "key.deleted"]
    assert all(e["data"]["keyId"] == key["id"] and e["data"]["name"] == "prod" for e in events)
    assert events[0]["data"]["previousKeyExpiresAt"] is not None
