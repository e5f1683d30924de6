"""Group commit of /v1/usage: concurrent requests share transactions, every caller gets its
own answers only after its transaction committed, and a failed transaction tells every
caller in it that nothing was recorded."""
from __future__ import annotations

import asyncio

from hypothesis import given, settings, strategies as st
from tortoise.exceptions import DBConnectionError

from app.dataplane.group_commit import GroupCommit
from app.domain.money import format_nanos
from app.services import usage as usage_service
from tests.support.api import create_key


class RecordingWriter:
    """A write function that yields to the loop like a real transaction, and remembers each one."""

    def __init__(self, fail_on: set[int] = frozenset()) -> None:
        self.transactions: list[list] = []
        self.fail_on = fail_on

    async def __call__(self, items: list) -> list:
        number = len(self.transactions)
        self.transactions.append(list(items))
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        if number in self.fail_on:
            raise RuntimeError(f"transaction {number} failed")
        return [("done", item) for item in items]


@settings(max_examples=60, deadline=None)
@given(requests=st.lists(st.lists(st.integers(), min_size=1, max_size=7), min_size=1, max_size=40),
       max_items=st.integers(min_value=1, max_value=20),
       fail_on=st.sets(st.integers(min_value=0, max_value=10), max_size=3))
def test_every_caller_gets_its_own_results_or_its_groups_failure(requests, max_items, fail_on):
    async def scenario():
        writer = RecordingWriter(fail_on)
        commits = GroupCommit(writer, max_items=max_items)
        outcomes = await asyncio.gather(*(commits.submit(items) for items in requests), return_exceptions=True)
        return writer, outcomes

    writer, outcomes = asyncio.run(scenario())
    # the transactions carried every request exactly once, in arrival order
    assert [item for t in writer.transactions for item in t] == [item for items in requests for item in items]
    ends = _ends(writer.transactions)
    position = 0
    for items, outcome in zip(requests, outcomes):
        start, position = position, position + len(items)
        # a request is never split across transactions
        assert not any(start < end < position for end in ends)
        number = next(n for n, end in enumerate(ends) if end >= position)
        if number in fail_on:
            assert isinstance(outcome, RuntimeError), "a member of a failed group must not be told it was recorded"
        else:
            assert outcome == [("done", item) for item in items]
    for transaction in writer.transactions:
        # bounded, except that a request larger than the bound goes alone
        assert len(transaction) <= max_items or len(transaction) in {len(r) for r in requests}


def _ends(transactions: list[list]) -> list[int]:
    ends, total = [], 0
    for transaction in transactions:
        total += len(transaction)
        ends.append(total)
    return ends


async def test_requests_arriving_during_a_write_share_the_next_transaction():
    writer = RecordingWriter()
    commits = GroupCommit(writer)
    first = asyncio.ensure_future(commits.submit([0]))
    await asyncio.sleep(0)  # its write has started
    await asyncio.gather(first, *(commits.submit([n]) for n in range(1, 50)))
    assert [len(t) for t in writer.transactions] == [1, 49]  # the first alone at once, the rest together


async def test_a_caller_that_goes_away_does_not_stop_the_others_write():
    writer = RecordingWriter()
    commits = GroupCommit(writer)
    first = asyncio.ensure_future(commits.submit(["a"]))
    leaving = asyncio.ensure_future(commits.submit(["b"]))
    staying = asyncio.ensure_future(commits.submit(["c"]))
    await asyncio.sleep(0)
    leaving.cancel()
    assert await first == [("done", "a")]
    assert await staying == [("done", "c")]
    await commits.drain()
    assert [item for t in writer.transactions for item in t] == ["a", "b", "c"]  # its item was written anyway


async def test_concurrent_single_events_share_transactions_and_lose_nothing(app, acme, gateway):
    key_id = (await create_key(acme, allTimeLimit="1000"))["apiKey"]["id"]
    commits = app.state.dataplane.writes
    before = commits.transactions
    answers = await asyncio.gather(*(
        gateway.usage({"keyId": key_id, "requestId": f"r{n % 150}", "cost": "0.001"}) for n in range(200)
    ))
    recorded = [a["results"][0]["recorded"] for a in answers]
    assert recorded.count(True) == 150 and recorded.count(False) == 50  # 50 retries, each recorded once
    assert commits.transactions - before < 200
    key = (await acme.gql.run("ApiKeyUsage", id=key_id, first=1))["apiKey"]
    assert key["usage"] == "0.15"


async def test_a_failed_group_answers_every_member_with_an_error_and_records_nothing(app, acme, gateway, monkeypatch):
    key_id = (await create_key(acme))["apiKey"]["id"]
    real = usage_service.record_events
    calls = []

    async def failing_second_transaction(clock, events, *settings):
        calls.append(len(events))
        if len(calls) == 2:
            raise DBConnectionError("connection lost")
        return await real(clock, events, *settings)

    monkeypatch.setattr(usage_service, "record_events", failing_second_transaction)
    responses = await asyncio.gather(*(
        gateway.post("/v1/usage", {"keyId": key_id, "requestId": f"r{n}", "cost": "0.01"}) for n in range(20)
    ))
    first, failed = calls[0], calls[1]  # the first transaction takes whoever arrived before it began
    assert first + failed <= 20 and failed > 1
    statuses = [r.status_code for r in responses]
    assert statuses.count(503) == failed
    assert all(r.json()["error"]["code"] == "UNAVAILABLE" for r in responses if r.status_code == 503)
    assert all(r.json()["results"][0]["recorded"] is True for r in responses if r.status_code == 200)
    recorded_first = {n for n, r in enumerate(responses) if r.status_code == 200}
    monkeypatch.setattr(usage_service, "record_events", real)
    key = (await acme.gql.run("ApiKeyUsage", id=key_id, first=1))["apiKey"]
    assert key["usage"] == format_nanos(len(recorded_first) * 10_000_000)
    # the gateway retries them: now they are recorded, once
    retried = await asyncio.gather(*(
        gateway.usage({"keyId": key_id, "requestId": f"r{n}", "cost": "0.01"}) for n in range(20)
    ))
    assert [a["results"][0]["recorded"] for a in retried] == [n not in recorded_first for n in range(20)]


async def test_concurrent_holds_share_transactions_and_never_over_allocate(app, acme, gateway):
    tight = (await create_key(acme, allTimeLimit="1"))["secret"]
    roomy = (await create_key(acme, allTimeLimit="100"))["secret"]
    commits = app.state.dataplane.writes
    before = commits.transactions

    def hold(secret: str, request_id: str) -> dict:
        return {"key": secret, "model": "openai/gpt-4o", "estimatedCost": "0.3", "requestId": request_id}

    bodies = [hold(tight, f"t{n}") for n in range(12)] + [hold(roomy, f"r{n}") for n in range(12)]
    bodies += [hold(tight, "t0"), hold(roomy, "r0")]  # retries inside the same burst: never held twice
    answers = await asyncio.gather(*(gateway.authorize(**body) for body in bodies))
    tight_allowed = {b["requestId"] for b, a in zip(bodies, answers) if b["key"] == tight and a["allowed"]}
    assert len(tight_allowed) == 3  # 3 × 0.3 ≤ 1 < 4 × 0.3, in arrival order under the key's lock
    assert all(a["allowed"] for b, a in zip(bodies, answers) if b["key"] == roomy)
    assert {a["code"] for b, a in zip(bodies, answers) if b["key"] == tight and not a["allowed"]} == {"USAGE_EXCEEDED"}
    assert commits.transactions - before < len(bodies)
    # the holds held: a soft check sees 0.9 of 1 taken, and usage settles them
    for request_id in tight_allowed:
        await gateway.usage({"keyId": answers[0]["keyId"], "requestId": request_id, "cost": "0.3"})
    assert (await gateway.authorize(key=tight, model="openai/gpt-4o", estimatedCost="0.2", requestId="late"))[
        "code"] == "USAGE_EXCEEDED"
    settled = sorted(tight_allowed)[0]
    assert (await gateway.authorize(key=tight, model="openai/gpt-4o", estimatedCost="0.3", requestId=settled))[
        "code"] == "DUPLICATE_REQUEST_ID"
    assert answers[24]["allowed"] == answers[0]["allowed"]  # the retried t0 got the same answer


async def warm(gateway, secret: str) -> None:
    """The key in this instance's cache: a hold then waits only for its transaction."""
    assert (await gateway.authorize(key=secret, model="openai/gpt-4o"))["allowed"] is True


def hold_first_group_until(monkeypatch, commits, queued: int, fail_mixed: bool = False) -> list:
    """The first transaction waits until ``queued`` requests wait behind it, so they form the
    next group together, whatever the timing of the backend. Returns the sizes (events) of the
    mixed groups written (or failed, with ``fail_mixed``, the first of them), and a list that is
    not empty once the first transaction has begun."""
    real = usage_service.record_events_with
    mixed: list = []
    first: list = []

    async def gated(clock, events, retention_days, alongside):
        if not first:
            first.append(True)
            for _ in range(1000):
                if commits.queued >= queued:
                    break
                await asyncio.sleep(0.001)
        if alongside is not None:
            mixed.append(len(events))
            if fail_mixed and len(mixed) == 1:
                raise DBConnectionError("connection lost")
        return await real(clock, events, retention_days, alongside)

    monkeypatch.setattr(usage_service, "record_events_with", gated)
    return mixed, first


async def test_holds_and_usage_arriving_together_share_one_transaction_and_stay_exact(app, acme, gateway,
                                                                                     monkeypatch):
    """A gateway's hard-capped loop: holds and usage reports in one burst. They are written in
    shared transactions (app/services/data_writes.py), each request gets its own answer, and
    the limit is never over-allocated: usage recorded in a transaction counts against the holds
    decided after it in that transaction."""
    created = await create_key(acme, allTimeLimit="1")
    key_id, secret = created["apiKey"]["id"], created["secret"]
    other = await create_key(acme, allTimeLimit="100")
    commits = app.state.dataplane.writes
    await warm(gateway, secret)
    mixed_groups, begun = hold_first_group_until(monkeypatch, commits, queued=14)
    before = commits.transactions

    def hold(request_id: str) -> dict:
        return {"key": secret, "model": "openai/gpt-4o", "estimatedCost": "0.3", "requestId": request_id}

    alone = asyncio.ensure_future(  # takes the writer; the burst waits behind it
        gateway.usage({"keyId": other["apiKey"]["id"], "requestId": "first", "cost": "0.5"}))
    while not begun:
        await asyncio.sleep(0.001)
    calls = [alone]
    calls += [gateway.authorize(**hold(f"h{n}")) for n in range(6)]
    calls += [gateway.usage({"keyId": key_id, "requestId": f"u{n}", "cost": "0.1"}) for n in range(4)]
    calls += [gateway.usage({"keyId": other["apiKey"]["id"], "requestId": f"o{n}", "cost": "0.5"}) for n in range(4)]
    answers = await asyncio.gather(*calls)
    holds, usage = answers[1:7], answers[7:]
    assert mixed_groups == [8], "the burst was not written as one group of holds and usage"
    assert all(a["results"][0]["recorded"] is True for a in usage)
    assert [a["results"][0]["requestId"] for a in usage] == [f"u{n}" for n in range(4)] + [f"o{n}" for n in range(4)]
    allowed = [a for a in holds if a["allowed"]]
    assert {a["code"] for a in holds if not a["allowed"]} <= {"USAGE_EXCEEDED"}
    # in the group's transaction the usage (0.4) was recorded first, then the holds decided on it
    assert len(allowed) == 2
    assert commits.transactions - before < len(calls)
    # the groups' sizes are exported for operators
    registry = app.state.dataplane.metrics.registry
    assert registry.get_sample_value("keyplane_group_commit_items_sum") >= len(calls)
    # what was held and recorded adds up: one more hold of the rest is refused, of what is left allowed
    left_nanos = 1_000_000_000 - 400_000_000 - len(allowed) * 300_000_000
    refused = await gateway.authorize(key=secret, model="openai/gpt-4o", estimatedCost=format_nanos(left_nanos + 1),
                                      requestId="over")
    assert refused["code"] == "USAGE_EXCEEDED"
    if left_nanos > 0:
        fits = await gateway.authorize(key=secret, model="openai/gpt-4o", estimatedCost=format_nanos(left_nanos),
                                       requestId="fits")
        assert fits["allowed"] is True


async def test_a_failed_mixed_group_tells_every_member_and_writes_nothing(app, acme, gateway, monkeypatch):
    created = await create_key(acme, allTimeLimit="10")
    key_id, secret = created["apiKey"]["id"], created["secret"]
    await warm(gateway, secret)
    commits = app.state.dataplane.writes
    failed, begun = hold_first_group_until(monkeypatch, commits, queued=10, fail_mixed=True)
    # a first request takes the writer; the burst behind it forms one mixed group
    alone = asyncio.ensure_future(gateway.post("/v1/usage", {"keyId": key_id, "requestId": "first", "cost": "0.01"}))
    while not begun:
        await asyncio.sleep(0.001)
    responses = await asyncio.gather(
        alone,
        *(gateway.post("/v1/authorize", {"key": secret, "model": "openai/gpt-4o", "estimatedCost": "0.1",
                                         "requestId": f"h{n}"}) for n in range(5)),
        *(gateway.post("/v1/usage", {"keyId": key_id, "requestId": f"u{n}", "cost": "0.01"}) for n in range(5)),
    )
    assert failed == [5], "the burst did not form one mixed group"
    unavailable = [r for r in responses if r.status_code == 503]
    assert len(unavailable) == 10  # the group's events and its holds, all told
    assert all(r.json()["error"]["code"] == "UNAVAILABLE" for r in unavailable)
    assert responses[0].status_code == 200  # the first transaction, alone, committed
    key = (await acme.gql.run("ApiKeyUsage", id=key_id, first=1))["apiKey"]
    assert key["usage"] == "0.01"  # none of the failed group's events
    # none of its holds either: the whole rest of the limit can still be held
    fits = await gateway.authorize(key=secret, model="openai/gpt-4o", estimatedCost="9.99", requestId="rest")
    assert fits["allowed"] is True
    # the gateway retries them: each is written, once
    retried = await asyncio.gather(*(gateway.usage({"keyId": key_id, "requestId": f"u{n}", "cost": "0.01"})
                                     for n in range(5)))
    assert all(a["results"][0]["recorded"] is True for a in retried)
