"""LiteLLM's success/failure callback: every call's exact cost goes to keyplane's ``/v1/usage``.

Events are queued and sent in batches by a background task (every 100 ms or 500 events); a
batch keyplane does not accept is sent again, with the same request ids, until it does
(keyplane records a request id once, so a resent batch never counts twice). The queue is
bounded: when keyplane stays away that long, new events are dropped with a warning. When the
proxy shuts down, whatever is still queued is sent (and at the process's exit, once more).
"""
from __future__ import annotations

import asyncio
import atexit
import collections
import logging

import httpx

from keyplane_litellm.money import CostError, cost_string
from keyplane_litellm.settings import Settings

log = logging.getLogger("keyplane_litellm")


def event_of(kwargs: dict, success: bool) -> dict | None:
    """The /v1/usage event of a finished call, or None for a call keyplane did not authorize."""
    logged = kwargs.get("standard_logging_object") or {}
    metadata = logged.get("metadata") or {}
    auth = metadata.get("user_api_key_auth_metadata") or {}
    if not auth.get("keyplane_key_id"):
        auth = ((kwargs.get("litellm_params") or {}).get("metadata") or {}).get("user_api_key_metadata") or {}
    key_id = auth.get("keyplane_key_id")
    request_id = auth.get("keyplane_request_id") or logged.get("litellm_call_id") or kwargs.get("litellm_call_id")
    if not key_id or not request_id:
        return None
    try:
        # a failed call settles its hold at 0: the provider charged nothing
        cost = cost_string(logged.get("response_cost")) if success else "0"
    except CostError as exc:
        log.warning("call %s: unusable response_cost (%s): reported as 0", request_id, exc)
        cost = "0"
    event = {"keyId": key_id, "requestId": request_id, "cost": cost}
    model = logged.get("model_group") or kwargs.get("model")
    if model:
        event["model"] = str(model)[:200]
    provider = logged.get("custom_llm_provider")
    if provider:
        event["provider"] = str(provider)[:200]
    return event


class UsageReporter:
    """The bounded queue of events and the task that sends them."""

    def __init__(self, settings: Settings | None = None, transport: httpx.BaseTransport | None = None,
                 async_transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._settings = settings
        self._transport = transport  # tests: a mock keyplane
        self._async_transport = async_transport
        self.queue: collections.deque[dict] = collections.deque()
        self._task: asyncio.Task | None = None
        self._wake: asyncio.Event | None = None
        self._client: httpx.AsyncClient | None = None
        self.dropped = 0

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = Settings.from_env()
        return self._settings

    def add(self, event: dict) -> None:
        if len(self.queue) >= self.settings.queue_limit:
            self.dropped += 1
            log.warning("usage queue full (%d events): dropped the event of %s", len(self.queue), event["requestId"])
            return
        self.queue.append(event)
        self._ensure_task()
        if len(self.queue) >= self.settings.batch_size and self._wake is not None:
            self._wake.set()

    def _ensure_task(self) -> None:
        if self._task is None or self._task.done():
            self._wake = asyncio.Event()
            self._task = asyncio.get_running_loop().create_task(self._run())

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(base_url=self.settings.url, timeout=self.settings.timeout_s,
                                             transport=self._async_transport,
                                             headers={"Authorization": f"Bearer {self.settings.gateway_token}"})
        return self._client

    async def _run(self) -> None:
        backoff = self.settings.flush_interval_s
        while True:
            if len(self.queue) < self.settings.batch_size:
                try:
                    await asyncio.wait_for(self._wake.wait(), self.settings.flush_interval_s)
                except asyncio.TimeoutError:
                    pass
            self._wake.clear()
            if not self.queue:
                continue
            batch = [self.queue[i] for i in range(min(len(self.queue), self.settings.batch_size))]
            try:
                sent = await self._send(batch)
            except Exception as exc:  # keyplane away, restarting, or answering 5xx: keep the batch, retry
                log.warning("usage batch of %d not accepted (%s): retrying", len(batch), type(exc).__name__)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.settings.retry_max_s)
                continue
            backoff = self.settings.flush_interval_s
            for _ in range(sent):
                self.queue.popleft()

    async def _send(self, batch: list[dict]) -> int:
        """Sends the batch; the number of events done with (recorded, duplicates, or refused for good)."""
        response = await self._http().post("/v1/usage", json={"events": batch})
        if response.status_code == 400:
            # one malformed event refuses the whole batch: send them one by one, drop the bad ones
            for event in batch:
                single = await self._http().post("/v1/usage", json=event)
                if single.status_code == 400:
                    log.warning("usage of %s refused: %s", event["requestId"], single.text[:200])
                else:
                    single.raise_for_status()
            return len(batch)
        response.raise_for_status()
        for result in response.json().get("results", []):
            if result.get("error"):
                log.warning("usage of %s not recorded: %s", result.get("requestId"), result["error"].get("code"))
        return len(batch)

    async def flush(self) -> None:
        """Sends everything queued now (tests, and an orderly shutdown inside the loop)."""
        while self.queue:
            batch = [self.queue[i] for i in range(min(len(self.queue), self.settings.batch_size))]
            for _ in range(await self._send(batch)):
                self.queue.popleft()

    async def close(self, timeout_s: float = 5.0) -> None:
        """The proxy is shutting down: stop the background task (its batch stays queued until sent),
        then send what is queued, trying again until ``timeout_s`` has passed."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        deadline = asyncio.get_running_loop().time() + timeout_s
        while self.queue:
            try:
                await asyncio.wait_for(self.flush(), max(0.01, deadline - asyncio.get_running_loop().time()))
            except Exception as exc:
                if asyncio.get_running_loop().time() >= deadline:
                    log.error("at shutdown: %d usage events could not be sent (%s)", len(self.queue),
                              type(exc).__name__)
                    return
                await asyncio.sleep(0.1)

    def flush_at_exit(self) -> None:
        """The process is exiting (LiteLLM's shutdown has no callback hook): one synchronous try."""
        if not self.queue:
            return
        events = list(self.queue)
        try:
            with httpx.Client(base_url=self.settings.url, timeout=self.settings.timeout_s, transport=self._transport,
                              headers={"Authorization": f"Bearer {self.settings.gateway_token}"}) as http:
                for start in range(0, len(events), self.settings.batch_size):
                    http.post("/v1/usage", json={"events": events[start:start + self.settings.batch_size]}
                              ).raise_for_status()
            self.queue.clear()
        except Exception as exc:
            log.error("at exit: %d usage events could not be sent (%s)", len(events), type(exc).__name__)


def make_logger(reporter: UsageReporter):
    """The CustomLogger LiteLLM calls after every call (imported lazily: only LiteLLM's env has it)."""
    from litellm.integrations.custom_logger import CustomLogger

    class KeyplaneUsageLogger(CustomLogger):
        async def async_log_success_event(self, kwargs, response_obj, start_time, end_time):
            event = event_of(kwargs, success=True)
            if event is not None:
                reporter.add(event)

        async def async_log_failure_event(self, kwargs, response_obj, start_time, end_time):
            event = event_of(kwargs, success=False)
            if event is not None:
                reporter.add(event)

    flush_on_proxy_shutdown(reporter)
    return KeyplaneUsageLogger()


def flush_on_proxy_shutdown(reporter: UsageReporter) -> None:
    """Sends the queue when LiteLLM's proxy shuts down, before its own shutdown work.

    LiteLLM has no shutdown hook for callbacks, and uvicorn ends the process by re-raising
    SIGTERM, so atexit never runs there. The proxy's lifespan calls the module-level
    ``proxy_shutdown_event`` by name, so a wrapper around it runs first (checked against the
    pinned LiteLLM by tests/integrations/test_litellm.py; without that function atexit remains).
    """
    try:
        from litellm.proxy import proxy_server
    except Exception:  # not inside the proxy (the SDK alone)
        return
    original = getattr(proxy_server, "proxy_shutdown_event", None)
    if original is None or getattr(original, "keyplane_flushes", False):
        return

    async def proxy_shutdown_event(*args, **kwargs):
        try:
            await reporter.close()
        except Exception as exc:
            log.error("at shutdown: usage not flushed (%s)", type(exc).__name__)
        return await original(*args, **kwargs)

    proxy_shutdown_event.keyplane_flushes = True
    proxy_server.proxy_shutdown_event = proxy_shutdown_event


reporter = UsageReporter()
atexit.register(reporter.flush_at_exit)
