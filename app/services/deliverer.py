"""The deliverer: every instance runs one; it claims due deliveries from the outbox, POSTs them
signed per Standard Webhooks (the ``standardwebhooks`` package), and records each outcome.

Why this shape:
- The claim (app/store/outbox.py) pushes the attempt's next_attempt_at a lease ahead in the
  same statement: two deliverers never send the same attempt, and one that died (SIGKILL)
  mid-delivery leaves a claim that is due again once its lease has passed. Delivery is
  therefore at least once; receivers deduplicate by ``webhook-id`` (the same for every attempt).
- It never slows the data plane: at most ``webhook_concurrency`` attempts at once, its own HTTP
  client, no database transaction open while it waits on a receiver, and at most one database
  statement of its own at a time (so it never holds more than one connection of the pool).
- SSRF: the host is resolved and every address checked before each attempt, and the request
  goes to the checked address (Host header and TLS SNI keep the name): a rebinding DNS answer
  cannot redirect it. Redirects are never followed; at most 64 KiB of an answer is read.
- Time (signing timestamps, the retry schedule, leases) comes from the injectable clock.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging

import httpx
from standardwebhooks.webhooks import Webhook as Signer

from app.clock import Clock
from app.domain.timeconv import to_micros
from app.domain.webhook_urls import Address, Target, UrlRefused
from app.domain.webhooks import next_attempt_at
from app.services.webhook_targets import Resolver, checked, system_resolver
from app.settings import Settings
from app.store import outbox, sql

log = logging.getLogger("keyplane.webhooks")
MAX_RESPONSE_BYTES = 64 * 1024
LEASE_MARGIN_US = 1_000_000


def lease_us(timeout_ms: int) -> int:
    """How long a claim stays ours: past the attempt's timeout with room to record its outcome; a
    claim whose deliverer died (SIGKILL) is due again after it."""
    return 2 * timeout_ms * 1000 + LEASE_MARGIN_US


def signed_headers(secret: str, event_id: str, moment, body: str) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt (``moment``: a timezone-aware datetime)."""
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": Signer(secret).sign(event_id, moment, body),
        "content-type": "application/json",
        "user-agent": "keyplane-webhooks",
    }


class Deliverer:
    def __init__(self, settings: Settings, clock: Clock, resolver: Resolver | None = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._settings = settings
        self._clock = clock
        self._resolver = resolver or system_resolver
        self._timeout_s = settings.webhook_timeout_ms / 1000
        self._given_transport = transport
        self._transport: httpx.AsyncBaseTransport | None = None  # made on first use: most test instances never send
        self._database = asyncio.Semaphore(1)
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        if self._settings.webhook_delivery and self._task is None:
            outbox.subscribe_wake(self._wakeup.set)
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        outbox.unsubscribe_wake(self._wakeup.set)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
            self._task = None
        if self._transport is not None:
            await self._transport.aclose()
            self._transport = None

    def _http(self) -> httpx.AsyncBaseTransport:
        """httpx's transport itself, not a client: it never follows redirects, reads no proxy settings
        from the environment, and does not log each request's URL (a receiver's may carry a token)."""
        if self._transport is None:
            self._transport = self._given_transport or httpx.AsyncHTTPTransport(
                limits=httpx.Limits(max_connections=self._settings.webhook_concurrency, max_keepalive_connections=0))
        return self._transport

    async def _run(self) -> None:
        while True:
            try:
                sent = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database is away: try again at the next poll
                log.warning("webhook deliverer: %s", type(exc).__name__)
                sent = 0
            if sent == 0:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), self._settings.webhook_poll_ms / 1000)
                self._wakeup.clear()

    async def run_once(self) -> int:
        """Claim the due deliveries (at most ``webhook_concurrency``), attempt each once; how many."""
        now_us = to_micros(self._clock.now())
        async with self._database:
            conn = sql.client()
            if not await outbox.any_due(conn, now_us):
                return 0
            lease_until = now_us + lease_us(self._settings.webhook_timeout_ms)
            claimed = await outbox.claim_due(conn, now_us, lease_until, self._settings.webhook_concurrency)
        await asyncio.gather(*(self._attempt(row) for row in claimed))
        return len(claimed)

    async def _attempt(self, row: dict) -> None:
        status: int | None = None
        error: str | None = None
        if not row["enabled"]:
            error = "the webhook is disabled"
        else:
            try:
                target, addresses = await checked(row["url"], self._settings.webhook_allow_private, self._resolver,
                                                  unresolved_ok=False)
                status = await self._post(row, target, addresses[0])
                if not 200 <= status < 300:
                    error = f"the receiver answered {status}"
            except UrlRefused as exc:
                error = str(exc)
            except Exception as exc:  # noqa: BLE001 - any failure of one attempt is that attempt's outcome
                error = f"the request failed ({type(exc).__name__})"
        now_us = to_micros(self._clock.now())
        delivered = error is None
        retry_at = None if delivered or not row["enabled"] else next_attempt_at(row["created_at"], row["attempts"], now_us)
        async with self._database:
            await outbox.finish_attempt(sql.client(), row["id"], row["attempts"], status=status, error=error,
                                        delivered_at=now_us if delivered else None, next_attempt_at=retry_at)
        if not delivered:
            log.info("webhook delivery %s attempt %s failed: %s", row["id"], row["attempts"], error)

    async def _post(self, row: dict, target: Target, address: Address) -> int:
        headers = signed_headers(row["secret"], row["event_id"], self._clock.now(), row["body"])
        url = httpx.URL(row["url"])
        extensions: dict = {}
        if target.literal is None:  # connect to the address that was checked, not to a second lookup's
            headers["host"] = url.netloc.decode("ascii")
            url = url.copy_with(host=str(address))
            if target.scheme == "https":
                extensions["sni_hostname"] = target.host
        return await asyncio.wait_for(self._send(url, headers, row["body"], extensions), self._timeout_s)

    async def _send(self, url: httpx.URL, headers: dict, body: str, extensions: dict) -> int:
        request = httpx.Request("POST", url, content=body.encode(), headers=headers,
                                extensions={**extensions, "timeout": httpx.Timeout(self._timeout_s).as_dict()})
        response = await self._http().handle_async_request(request)
        try:
            read = 0
            if not response.is_stream_consumed:  # (a test transport may have read it already)
                async for chunk in response.aiter_raw():
                    read += len(chunk)
                    if read >= MAX_RESPONSE_BYTES:
                        break
        finally:
            await response.aclose()
        return response.status_code
