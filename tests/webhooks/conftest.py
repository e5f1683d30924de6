"""Webhook tests: private receivers allowed (the receiver is on 127.0.0.1), a fake DNS, the
deliverer driven by the test (``deliver``), and a real receiver verifying every signature."""
from __future__ import annotations

import ipaddress

import pytest
import standardwebhooks.webhooks

from app.server import create_app
from app.services.webhook_targets import ResolveFailed
from app.settings import Settings
from tests.webhooks.receiver import Receiver, ReceiverServer, verify_on

ALL_EVENTS = ["KEY_USAGE_THRESHOLD", "KEY_LIMIT_REACHED", "KEY_ROLLED", "KEY_DELETED"]


class FakeDns:
    """Names the tests chose, resolving to the addresses they chose (and changeable: rebinding)."""

    def __init__(self) -> None:
        self.names: dict[str, list[str]] = {}

    async def __call__(self, host: str, port: int):
        if host not in self.names:
            raise ResolveFailed("no such host")
        return [ipaddress.ip_address(a) for a in self.names[host]]


@pytest.fixture
def dns() -> FakeDns:
    return FakeDns()


@pytest.fixture
def settings(database) -> Settings:
    return Settings(database_url=database, poll_interval_ms=50, webhook_delivery=False, webhook_allow_private=True,
                    webhook_timeout_ms=3000)


@pytest.fixture
async def app(settings, clock, dns):
    application = create_app(settings, clock, manage_database=False, resolver=dns)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
def deliver(app):
    """One round of the deliverer: what is due now (on the fake clock) is attempted once."""
    return app.state.deliverer.run_once


@pytest.fixture
async def receiver(clock):
    found = Receiver()
    server = ReceiverServer(found)
    original = standardwebhooks.webhooks.datetime
    verify_on(clock)
    await server.start()
    yield found
    await server.stop()
    standardwebhooks.webhooks.datetime = original
    assert found.bad_signatures == 0, "a delivery arrived with a signature standardwebhooks refuses"


async def add_webhook(tenant, receiver: Receiver, events=None, path: str = "/hook") -> dict:
    payload = await tenant.gql.mutate("CreateWebhook", projectId=tenant.project_id, url=receiver.url(path),
                                      events=events or ALL_EVENTS)
    assert payload["errors"] == [], payload
    assert payload["secret"].startswith("whsec_")
    receiver.secret = payload["secret"]
    return payload["webhook"]


async def deliveries(tenant, webhook_id: str) -> list[dict]:
    data = await tenant.gql.run("WebhookDeliveries", id=webhook_id, first=100)
    return [edge["node"] for edge in data["node"]["deliveries"]["edges"]]
