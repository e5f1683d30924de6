"""keyplane-litellm's usage reporter against a mock keyplane: batches, retries with the same
request ids until accepted, a bounded queue, the flush at exit, and the events it reports."""
from __future__ import annotations

import asyncio
import json
import logging

import httpx

from keyplane_litellm.settings import Settings
from keyplane_litellm.usage import UsageReporter, event_of


class MockKeyplane:
    """Records the batches it accepts; refuses the first ``failures`` requests with 503."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.batches: list[list[str]] = []
        self.transport = httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == "Bearer kpg_test"
        if self.failures:
            self.failures -= 1
            return httpx.Response(503, json={"error": {"code": "UNAVAILABLE", "message": "restarting"}})
        events = json.loads(request.content)["events"]
        self.batches.append([e["requestId"] for e in events])
        return httpx.Response(200, json={"results": [{"requestId": e["requestId"], "recorded": True} for e in events]})

    @property
    def recorded(self) -> list[str]:
        return [request_id for batch in self.batches for request_id in batch]


def reporter_for(keyplane: MockKeyplane, **overrides) -> UsageReporter:
    settings = Settings(url="http://keyplane.test", gateway_token="kpg_test", **overrides)
    return UsageReporter(settings, transport=keyplane.transport, async_transport=keyplane.transport)


def event(n: int) -> dict:
    return {"keyId": "QXBpS2V5OjE", "requestId": f"call-{n}", "cost": "0.000225"}


async def drained(reporter: UsageReporter) -> None:
    """Waits for the background task to empty the queue (bounded: the test fails instead of hanging)."""
    async def empty() -> None:
        while reporter.queue:
            await asyncio.sleep(0.001)

    await asyncio.wait_for(empty(), timeout=10)


async def test_events_go_in_batches_of_at_most_500():
    keyplane = MockKeyplane()
    reporter = reporter_for(keyplane)
    for n in range(1200):
        reporter.queue.append(event(n))
    await reporter.flush()
    assert [len(b) for b in keyplane.batches] == [500, 500, 200]
    assert keyplane.recorded == [f"call-{n}" for n in range(1200)]


async def test_a_refused_batch_is_sent_again_with_the_same_request_ids_until_accepted():
    keyplane = MockKeyplane(failures=3)
    reporter = reporter_for(keyplane, flush_interval_s=0.001, retry_max_s=0.005)
    for n in range(7):
        reporter.add(event(n))
    await drained(reporter)
    assert keyplane.recorded == [f"call-{n}" for n in range(7)]  # each once, none lost


async def test_a_full_queue_drops_new_events_with_a_warning(caplog):
    keyplane = MockKeyplane(failures=10**6)  # keyplane stays away
    reporter = reporter_for(keyplane, queue_limit=3, flush_interval_s=60)
    with caplog.at_level(logging.WARNING, logger="keyplane_litellm"):
        for n in range(5):
            reporter.add(event(n))
    assert [e["requestId"] for e in reporter.queue] == ["call-0", "call-1", "call-2"]
    assert reporter.dropped == 2
    assert sum("usage queue full" in r.getMessage() for r in caplog.records) == 2
    reporter._task.cancel()


def test_what_is_still_queued_at_exit_is_sent():
    keyplane = MockKeyplane()
    reporter = reporter_for(keyplane)
    for n in range(3):
        reporter.queue.append(event(n))
    reporter.flush_at_exit()
    assert keyplane.recorded == ["call-0", "call-1", "call-2"] and not reporter.queue


def _kwargs(cost, call_id="call-1", key_id="QXBpS2V5OjE") -> dict:
    return {"standard_logging_object": {
        "response_cost": cost, "litellm_call_id": call_id, "model_group": "openai/gpt-4o",
        "custom_llm_provider": "openai",
        "metadata": {"user_api_key_auth_metadata": {"keyplane_key_id": key_id, "keyplane_request_id": call_id}}}}


def test_a_call_is_reported_at_its_exact_cost_and_a_failed_one_at_zero():
    assert event_of(_kwargs(0.00022500000000000002), success=True) == {
        "keyId": "QXBpS2V5OjE", "requestId": "call-1", "cost": "0.000225", "model": "openai/gpt-4o",
        "provider": "openai"}
    assert event_of(_kwargs(0.00022500000000000002), success=False)["cost"] == "0"
    assert event_of(_kwargs(float("nan")), success=True)["cost"] == "0"


def test_a_call_keyplane_did_not_authorize_is_not_reported():
    assert event_of(_kwargs(0.1, key_id=None), success=True) is None
    assert event_of({}, success=True) is None


async def test_closing_stops_the_background_task_and_sends_everything_once():
    keyplane = MockKeyplane(failures=2)  # the first tries at shutdown fail too
    reporter = reporter_for(keyplane, flush_interval_s=60)
    for n in range(3):
        reporter.add(event(n))
    await reporter.close(timeout_s=5)
    assert keyplane.recorded == ["call-0", "call-1", "call-2"] and not reporter.queue
    assert reporter._task.done()
