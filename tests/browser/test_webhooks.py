"""The Webhooks view of a project: create a webhook (its signing secret shown once), turn it off
and on, set a key's alert thresholds in its limits dialog, watch a threshold's delivery reach a
real local receiver (every signature verified with standardwebhooks) in the delivery log, resend
it, and delete the webhook."""
from __future__ import annotations

import re
import time
from collections import deque

import pytest
import standardwebhooks.webhooks
from playwright.sync_api import Locator, Page, expect

from tests.browser.pages import choose_action, expect_no_dialog, open_dialog, row, sign_in
from tests.webhooks.receiver import Receiver, ReceiverServer, verify_on

WHSEC = re.compile(r"^whsec_[A-Za-z0-9+/=]{20,}$")


@pytest.fixture
def site_settings() -> dict:
    # the receiver listens on 127.0.0.1 over http: private receivers must be allowed
    return {"webhook_allow_private": True}


@pytest.fixture
def receiver(site):
    """A real HTTP receiver on the live server's event loop, verifying signatures on the site's clock."""
    found = Receiver()
    server = ReceiverServer(found)
    original = standardwebhooks.webhooks.datetime
    verify_on(site.clock)
    site.server.call(server.start())
    try:
        yield found
    finally:
        site.server.call(server.stop())
        standardwebhooks.webhooks.datetime = original
    assert found.bad_signatures == 0, "a delivery arrived with a signature standardwebhooks refuses"


def wait_for(receiver: Receiver, count: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while len(receiver.received) < count:
        assert time.monotonic() < deadline, f"{len(receiver.received)} deliveries arrived, not {count}"
        time.sleep(0.05)


def open_webhooks(page: Page) -> Locator:
    page.get_by_role("button", name="Webhooks", exact=True).click()
    dialog = open_dialog(page)
    expect(dialog.get_by_role("heading", name="Webhooks")).to_be_visible()
    expect(dialog.get_by_role("status").first).not_to_have_text("Loading…")
    return dialog


def close(dialog: Locator, page: Page) -> None:
    dialog.get_by_role("button", name="Close", exact=True).click()
    expect_no_dialog(page)


def hook_item(dialog: Locator, url: str) -> Locator:
    return dialog.locator("li.webhook").filter(has_text=url)


def test_a_webhook_is_created_toggled_told_of_a_threshold_resent_and_deleted(page, site, receiver, shots):
    key = site.api.mutate("CreateApiKey", projectId=site.project_id, name="budgeted", allTimeLimit="10")["apiKey"]
    url = receiver.url("/hook")
    sign_in(page, site)

    # create: the signing secret is shown once
    dialog = open_webhooks(page)
    expect(dialog.get_by_text("No webhooks yet.")).to_be_visible()
    dialog.get_by_label("Endpoint URL").fill(url)
    expect(dialog.get_by_role("checkbox", name="Usage threshold reached")).to_be_checked()
    expect(dialog.get_by_role("checkbox", name="Limit reached")).to_be_checked()
    expect(dialog.get_by_role("checkbox", name="Key rolled")).not_to_be_checked()
    dialog.get_by_label("Description (optional)").fill("budget alerts")
    dialog.get_by_role("button", name="Add webhook").click()
    secret_box = dialog.get_by_label("Signing secret")
    expect(secret_box).to_have_value(WHSEC)
    secret = secret_box.input_value()
    receiver.secret = secret  # from now on every delivery's signature is checked with it
    expect(dialog.get_by_text("you will not see it again")).to_be_visible()
    hook = hook_item(dialog, url)
    for told in ("Usage threshold reached", "Limit reached", "· budget alerts"):
        expect(hook).to_contain_text(told)
    expect(hook).not_to_contain_text("Key rolled")
    expect(hook.get_by_role("switch", name=f"Enabled: {url}")).to_be_checked()
    expect(dialog.get_by_text("1 webhook", exact=True)).to_be_visible()
    shots(page, "webhooks-created-1280")
    close(dialog, page)

    # not again: neither in the reopened view nor anywhere on the page
    dialog = open_webhooks(page)
    expect(hook_item(dialog, url)).to_be_visible()
    expect(dialog.get_by_label("Signing secret")).to_have_count(0)
    assert secret not in page.content()
    assert page.evaluate("(s) => [...document.querySelectorAll('input')].some((el) => el.value.includes(s))", secret) is False

    # disable, and the reopened view shows it off; then on again
    switch = hook_item(dialog, url).get_by_role("switch", name=f"Enabled: {url}")
    switch.uncheck()
    expect(dialog.get_by_text("Webhook disabled.")).to_be_visible()
    close(dialog, page)
    dialog = open_webhooks(page)
    switch = hook_item(dialog, url).get_by_role("switch", name=f"Enabled: {url}")
    expect(switch).not_to_be_checked()
    switch.check()
    expect(dialog.get_by_text("Webhook enabled.")).to_be_visible()
    close(dialog, page)
    dialog = open_webhooks(page)
    expect(hook_item(dialog, url).get_by_role("switch", name=f"Enabled: {url}")).to_be_checked()
    close(dialog, page)

    # thresholds in the key's limits dialog
    choose_action(page, "budgeted", "Update limits")
    limits = open_dialog(page)
    thresholds = limits.get_by_label("Alert at (% of each limit)")
    expect(thresholds).to_have_value("80")
    thresholds.fill("90, 50")
    limits.get_by_role("button", name="Save limits").click()
    expect_no_dialog(page)
    choose_action(page, "budgeted", "Update limits")
    limits = open_dialog(page)
    expect(limits.get_by_label("Alert at (% of each limit)")).to_have_value("50, 90")
    limits.get_by_role("button", name="Cancel").click()
    expect_no_dialog(page)

    # usage past 50% (not 90%): the receiver answers 500 the first time
    receiver.answers = deque([500])
    site.server.record_usage(site.gateway, {"keyId": key["id"], "requestId": "r1", "cost": "6"})
    wait_for(receiver, 1)
    (event,) = receiver.events()
    assert event["type"] == "key.usage_threshold" and event["data"]["threshold"] == 50

    dialog = open_webhooks(page)
    hook_item(dialog, url).get_by_role("button", name="Deliveries").click()
    log = dialog.locator("section.webhook-log")
    expect(log.get_by_role("heading", name=f"Deliveries to {url}")).to_be_visible()
    delivery = log.locator("li.webhook-delivery")
    expect(delivery).to_have_count(1)
    expect(delivery).to_contain_text("Usage threshold reached")
    expect(delivery).to_contain_text("1 attempt · last answer 500")
    expect(delivery).to_contain_text("Next attempt")
    shots(page, "webhooks-delivery-failed-1280")

    # resend: a second attempt, answered 200 this time, with the same webhook-id
    delivery.get_by_role("button", name="Resend").click()
    expect(dialog.get_by_text("Delivery queued again.")).to_be_visible()
    wait_for(receiver, 2)
    assert receiver.received[0].headers["webhook-id"] == receiver.received[1].headers["webhook-id"]
    hook_item(dialog, url).get_by_role("button", name="Deliveries").click()
    expect(delivery).to_contain_text("2 attempts · last answer 200")
    expect(delivery).to_contain_text("Delivered")
    expect(delivery).not_to_contain_text("Next attempt")
    shots(page, "webhooks-delivery-resent-1280")

    # delete, after confirming
    page.once("dialog", lambda confirm: confirm.accept())
    hook_item(dialog, url).get_by_role("button", name="Delete").click()
    expect(dialog.get_by_text("Webhook deleted.")).to_be_visible()
    expect(hook_item(dialog, url)).to_have_count(0)
    expect(dialog.get_by_text("No webhooks yet.")).to_be_visible()
    expect(log).to_be_hidden()
    close(dialog, page)
    dialog = open_webhooks(page)
    expect(dialog.get_by_text("No webhooks yet.")).to_be_visible()
    close(dialog, page)
    expect(row(page, "budgeted")).to_be_visible()
    assert len(receiver.received) == 2
