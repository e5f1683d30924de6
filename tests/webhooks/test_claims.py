"""Claims: deliverers claiming at the same time never claim one attempt twice, and a claim is due
again only once its lease has passed (what makes a SIGKILLed deliverer's attempt come back)."""
from __future__ import annotations

import asyncio

from app.domain.timeconv import to_micros
from app.store import outbox, sql
from tests.support.api import create_key
from tests.webhooks.conftest import add_webhook


async def due_deliveries(acme, gateway, receiver, count: int) -> None:
    await add_webhook(acme, receiver, events=["KEY_ROLLED"])
    key = (await create_key(acme))["apiKey"]
    for _ in range(count):
        await acme.gql.mutate("RollApiKey", id=key["id"])


async def test_concurrent_claimers_never_claim_the_same_attempt(acme, gateway, receiver, clock):
    await due_deliveries(acme, gateway, receiver, 60)
    now = to_micros(clock.now())
    claims = await asyncio.gather(*(outbox.claim_due(sql.client(), now, now + 10**9, 7) for _ in range(20)))
    claimed = [row["id"] for rows in claims for row in rows]
    assert len(claimed) == len(set(claimed)) == 60
    assert await outbox.claim_due(sql.client(), now, now + 10**9, 100) == []


async def test_a_claim_comes_back_once_its_lease_has_passed(acme, gateway, receiver, clock):
    await due_deliveries(acme, gateway, receiver, 1)
    now = to_micros(clock.now())
    (first,) = await outbox.claim_due(sql.client(), now, now + 1000, 10)
    assert await outbox.claim_due(sql.client(), now + 999, now + 5000, 10) == []
    (again,) = await outbox.claim_due(sql.client(), now + 1000, now + 5000, 10)
    assert (again["id"], again["attempts"]) == (first["id"], first["attempts"] + 1)
    # the dead claim's late outcome is not recorded over the new one
    assert not await outbox.finish_attempt(sql.client(), first["id"], first["attempts"], status=200, error=None,
                                           delivered_at=now, next_attempt_at=None)
