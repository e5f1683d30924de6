"""Creating keys (the secret shown once), the plan limit, TTL expiry and reactivation,
limits, rename, enable/disable, delete, pagination and projects."""
from __future__ import annotations

import json

from playwright.sync_api import expect

from tests.browser.pages import (
    SECRET, choose_action, create_key, expect_no_dialog, field_error, fill_create_form, masked, open_dialog, refresh,
    row, select_tab, settle, sign_in,
)


def test_create_a_key_and_read_its_secret_exactly_once(page, site, shots):
    sign_in(page, site)
    page.get_by_role("button", name="Create API Key", exact=True).click()
    dialog = open_dialog(page)
    expect(dialog.get_by_role("heading", name="Create API key")).to_be_visible()
    shots(page, "create-dialog-1280")

    # a server-side error shows next to the field it names ("name": blank after trimming)
    dialog.get_by_label("Name", exact=True).fill("   ")
    dialog.get_by_role("button", name="Create API key", exact=True).click()
    expect(field_error(dialog, "name")).to_be_visible()
    expect(dialog.get_by_label("Name", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(dialog.get_by_label("Name", exact=True)).to_be_focused()

    fill_create_form(dialog, "production", ttl=(2, "HOUR"), all_time="50", recurring=("10", 1, "DAY"))
    # window bounds follow the unit (HOUR 1-8760, DAY 1-365, WEEK 1-52, MONTH 1-12)
    for unit, high in (("HOUR", "8760"), ("WEEK", "52"), ("MONTH", "12"), ("DAY", "365")):
        dialog.get_by_label("Window unit").select_option(unit)
        expect(dialog.get_by_label("Every", exact=True)).to_have_attribute("max", high)
    shots(page, "create-dialog-filled-1280")
    dialog.get_by_role("button", name="Create API key", exact=True).click()

    secret_box = dialog.get_by_label("Your new API key")
    expect(secret_box).to_have_value(SECRET)
    secret = secret_box.input_value()
    expect(dialog.get_by_text("you will not see it again")).to_be_visible()
    dialog.get_by_role("button", name="Copy").click()
    expect(dialog.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("() => navigator.clipboard.readText()") == secret
    shots(page, "create-secret-1280")

    dialog.get_by_role("button", name="I have saved it — close").click()
    expect_no_dialog(page)
    expect(page.get_by_role("button", name="Create API Key", exact=True)).to_be_focused()
    # gone from the page for good: not in the markup, not in any field, not in storage
    assert secret not in page.content()
    assert page.evaluate("(s) => [...document.querySelectorAll('input, textarea')].some((el) => el.value.includes(s))", secret) is False
    assert secret not in page.evaluate("() => JSON.stringify(sessionStorage) + JSON.stringify(localStorage)")

    key = row(page, "production")
    expect(key.locator("code.masked-key")).to_have_text(masked(secret))
    expect(key.locator('td[data-label="Status"]')).to_contain_text("Active")
    expect(key.locator('td[data-label="Status"]')).to_contain_text("Expires Jan 31, 2026, 12:00 PM")
    expect(key.locator('td[data-label="Created"]')).to_have_text("Jan 31, 2026")
    expect(key.locator('td[data-label="Usage"]')).to_contain_text("$0.00")
    expect(key.locator('td[data-label="Current Period"]')).to_contain_text("$0.00 of $10.00")
    expect(key.locator('td[data-label="Current Period"]')).to_contain_text("Resets Feb 1, 2026, 10:00 AM")
    expect(key.locator('td[data-label="Limits"]')).to_contain_text("$50.00 all-time")
    expect(key.locator('td[data-label="Limits"]')).to_contain_text("$10.00 / 1 day")
    expect(key.locator('td[data-label="IAM Rules"]')).to_have_text("None")
    expect(page.locator("#plan-count")).to_have_text("1 of 5 keys")

    # reopening the dialog starts afresh: the secret is never shown again
    page.get_by_role("button", name="Create API Key", exact=True).click()
    dialog = open_dialog(page)
    expect(dialog.get_by_label("Name", exact=True)).to_have_value("")
    assert secret not in page.content()
    page.keyboard.press("Escape")
    expect_no_dialog(page)

    # what the server holds matches what was asked for
    keys = site.api.run("ProjectApiKeys", projectId=site.project_id)["project"]["apiKeys"]["edges"]
    (node,) = [edge["node"] for edge in keys]
    assert node["expiresAt"].startswith("2026-01-31T12:00:00")
    assert node["limits"] == {"allTime": "50", "recurring": {"amount": "10", "window": {"value": 1, "unit": "DAY"}}}
    shots(page, "list-1280")
    page.emulate_media(color_scheme="dark")
    shots(page, "list-dark-1280")
    page.emulate_media(color_scheme="light")

    # the same list and dialog at phone width
    page.set_viewport_size({"width": 390, "height": 844})
    expect(row(page, "production")).to_be_visible()
    page.get_by_role("button", name="Create API Key", exact=True).click()
    dialog = open_dialog(page)
    fill_create_form(dialog, "staging", ttl=(30, "DAY"), recurring=("5", 2, "WEEK"))
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    shots(page, "create-dialog-390")
    dialog.get_by_role("button", name="Create API key", exact=True).click()
    expect(dialog.get_by_label("Your new API key")).to_have_value(SECRET)
    shots(page, "create-secret-390")
    page.keyboard.press("Escape")   # asks first: the key would be lost
    dialog.get_by_role("button", name="Close without saving").click()
    expect_no_dialog(page)


def test_the_plan_limit_disables_create_with_a_hint(page, site, shots):
    for index in range(3):
        site.api.mutate("CreateApiKey", projectId=site.project_id, name=f"api-{index}")
    sign_in(page, site)
    expect(page.locator("#plan-count")).to_have_text("3 of 5 keys")
    create_key(page, "fourth")
    expect(page.locator("#plan-count")).to_have_text("4 of 5 keys")

    # the last slot is taken behind the page's back: the server's KEY_LIMIT_REACHED shows in the form
    page.get_by_role("button", name="Create API Key", exact=True).click()
    dialog = open_dialog(page)
    dialog.get_by_label("Name", exact=True).fill("one-too-many")
    site.api.mutate("CreateApiKey", projectId=site.project_id, name="elsewhere")
    dialog.get_by_role("button", name="Create API key", exact=True).click()
    expect(dialog.locator(".form-error")).to_contain_text("limit of its plan")
    page.keyboard.press("Escape")
    expect_no_dialog(page)

    create = page.get_by_role("button", name="Create API Key", exact=True)
    expect(create).to_be_disabled()
    expect(page.locator("#plan-count")).to_have_text("5 of 5 keys")
    hint = page.locator("#plan-hint")
    expect(hint).to_contain_text("Key limit reached")
    expect(hint).to_contain_text("Free plan allows 5 keys per project")
    expect(create).to_have_attribute("aria-describedby", "plan-hint")
    shots(page, "plan-limit-1280", full_page=True)

    # deleting a key (with confirmation) frees a slot
    choose_action(page, "api-0", "Delete")
    dialog = open_dialog(page)
    expect(dialog.get_by_role("heading", name="Delete API key?")).to_be_visible()
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    shots(page, "delete-dialog-1280")
    dialog.get_by_role("button", name="Delete key").click()
    expect_no_dialog(page)
    expect(row(page, "api-0")).to_have_count(0)
    expect(page.locator("#plan-count")).to_have_text("4 of 5 keys")
    expect(create).to_be_enabled()


def test_an_expired_key_is_reactivated_with_a_new_ttl(page, site, shots):
    sign_in(page, site)
    create_key(page, "ci-run", ttl=(5, "MINUTE"))
    create_key(page, "forever")
    expect(row(page, "ci-run").locator('td[data-label="Status"]')).to_contain_text("Expires Jan 31, 2026, 10:05 AM")
    expect(row(page, "forever").locator('td[data-label="Status"]')).to_contain_text("No expiry")

    site.clock.advance(minutes=6)
    refresh(page)
    status = row(page, "ci-run").locator('td[data-label="Status"]')
    expect(status.locator(".badge")).to_have_text("Expired")
    expect(status).to_contain_text("Expired Jan 31, 2026, 10:05 AM")
    shots(page, "expired-1280")

    expect(row(page, "forever").locator(".badge")).to_have_text("Active")

    # expired keys move to the Inactive tab
    select_tab(page, "Active")
    expect(row(page, "ci-run")).to_have_count(0)
    expect(row(page, "forever")).to_be_visible()
    select_tab(page, "Inactive")
    expect(row(page, "ci-run")).to_be_visible()
    expect(row(page, "forever")).to_have_count(0)

    choose_action(page, "ci-run", "Reactivate…")
    dialog = open_dialog(page)
    expect(dialog.get_by_role("heading", name="Reactivate API key")).to_be_visible()
    expect(dialog).to_contain_text("This key expired Jan 31, 2026, 10:05 AM")
    dialog.get_by_label("New expiration: expires after").fill("2")
    dialog.get_by_label("Expiration unit").select_option("HOUR")
    shots(page, "reactivate-1280")
    dialog.get_by_role("button", name="Reactivate").click()
    expect_no_dialog(page)
    expect(row(page, "ci-run")).to_have_count(0)  # it left the Inactive tab
    select_tab(page, "Active")
    status = row(page, "ci-run").locator('td[data-label="Status"]')
    expect(status.locator(".badge")).to_have_text("Active")
    expect(status).to_contain_text("Expires Jan 31, 2026, 12:06 PM")


def test_enabling_a_key_that_expired_meanwhile_asks_for_a_ttl(page, site):
    created = site.api.mutate("CreateApiKey", projectId=site.project_id, name="contractor", ttl={"value": 1, "unit": "HOUR"})
    site.api.mutate("SetApiKeyEnabled", id=created["apiKey"]["id"], enabled=False)
    sign_in(page, site)
    expect(row(page, "contractor").locator(".badge")).to_have_text("Disabled")
    site.clock.advance(hours=2)  # expired on the server; the page has not refreshed
    choose_action(page, "contractor", "Enable")
    dialog = open_dialog(page)
    expect(dialog.get_by_role("heading", name="Reactivate API key")).to_be_visible()
    dialog.get_by_label("New expiration: expires after").fill("3")
    dialog.get_by_label("Expiration unit").select_option("DAY")
    dialog.get_by_role("button", name="Reactivate").click()
    expect_no_dialog(page)
    status = row(page, "contractor").locator('td[data-label="Status"]')
    expect(status.locator(".badge")).to_have_text("Active")
    expect(status).to_contain_text("Expires Feb 3, 2026, 12:00 PM")


def test_limits_rename_and_disable(page, site, shots):
    site.api.mutate("CreateApiKey", projectId=site.project_id, name="service", allTimeLimit="50",
                    recurringLimit={"amount": "10", "window": {"value": 1, "unit": "DAY"}})
    sign_in(page, site)
    sent = []
    page.on("request", lambda request: sent.append(json.loads(request.post_data)) if request.url.endswith("/graphql") and request.method == "POST" else None)

    choose_action(page, "service", "Update limits")
    dialog = open_dialog(page)
    expect(dialog.get_by_label("Lifetime cap (USD)")).to_have_value("50")
    expect(dialog.get_by_label("Amount (USD)")).to_have_value("10")
    # too many decimals: refused by the server, shown at the field
    dialog.get_by_label("Lifetime cap (USD)").fill("1.0000000001")
    dialog.get_by_label("Every", exact=True).fill("400")
    dialog.get_by_role("button", name="Save limits").click()
    # the browser itself holds the window to its bounds (DAY: 1-365)
    assert dialog.get_by_label("Every", exact=True).evaluate("(el) => el.validity.rangeOverflow") is True
    dialog.get_by_label("Every", exact=True).fill("1")
    dialog.get_by_role("button", name="Save limits").click()
    expect(field_error(dialog, "allTimeLimit")).to_be_visible()
    expect(dialog.get_by_label("Lifetime cap (USD)")).to_have_attribute("aria-invalid", "true")
    shots(page, "limits-error-1280")

    # remove the all-time cap (null), change the recurring one
    dialog.get_by_role("switch", name="All-time usage limit").uncheck()
    dialog.get_by_label("Amount (USD)").fill("$1,250.5")
    dialog.get_by_label("Every", exact=True).fill("2")
    dialog.get_by_label("Window unit").select_option("WEEK")
    dialog.get_by_role("button", name="Save limits").click()
    expect_no_dialog(page)
    limits = row(page, "service").locator('td[data-label="Limits"]')
    expect(limits).to_have_text("$1,250.50 / 2 weeks")
    expect(row(page, "service").locator('td[data-label="Current Period"]')).to_contain_text("$0.00 of $1,250.50")
    last = sent[-2]["variables"]["input"]  # the mutation, then the list's reload
    assert last["allTimeLimit"] is None and last["recurringLimit"] == {"amount": "1250.5", "window": {"value": 2, "unit": "WEEK"}}

    # only the all-time cap changes: the recurring limit is left out (unchanged)
    choose_action(page, "service", "Update limits")
    dialog = open_dialog(page)
    dialog.get_by_role("switch", name="All-time usage limit").check()
    dialog.get_by_label("Lifetime cap (USD)").fill("75")
    dialog.get_by_role("button", name="Save limits").click()
    expect_no_dialog(page)
    assert sent[-2]["variables"]["input"].keys() == {"id", "allTimeLimit"}
    expect(limits).to_contain_text("$75.00 all-time")
    expect(limits).to_contain_text("$1,250.50 / 2 weeks")

    choose_action(page, "service", "Rename")
    dialog = open_dialog(page)
    dialog.get_by_label("Name", exact=True).fill("  ")
    dialog.get_by_role("button", name="Rename").click()
    expect(field_error(dialog, "name")).to_be_visible()
    dialog.get_by_label("Name", exact=True).fill("billing-service")
    dialog.get_by_role("button", name="Rename").click()
    expect_no_dialog(page)
    expect(row(page, "billing-service")).to_be_visible()

    choose_action(page, "billing-service", "Disable")
    expect(row(page, "billing-service").locator(".badge").first).to_have_text("Disabled")
    select_tab(page, "Active")
    expect(row(page, "billing-service")).to_have_count(0)
    select_tab(page, "Inactive")
    choose_action(page, "billing-service", "Enable")
    expect(row(page, "billing-service")).to_have_count(0)
    select_tab(page, "Active")
    expect(row(page, "billing-service").locator(".badge").first).to_have_text("Active")


def test_pages_of_keys_and_projects(page, site):
    from app.services import orgs, projects, tokens
    from app.services.callers import Tenant

    org = site.server.call(orgs.create_org(site.clock, "bigco", "pro"))
    token = site.server.call(tokens.create(site.clock, tokens.MANAGEMENT, org.id, "browser")).secret
    site.server.call(projects.create_project(Tenant(org.id, 0), site.clock, "Backend"))
    api = site.server.api(token)
    project_id = api.run("Organization")["organization"]["projects"][0]["id"]
    for index in range(1, 13):
        api.mutate("CreateApiKey", projectId=project_id, name=f"key-{index:02d}")

    sign_in(page, site, token)
    expect(page.locator("#org-plan")).to_have_text("Pro")
    expect(page.locator("#plan-count")).to_have_text("12 of 20 keys")
    page.get_by_label("Rows per page").select_option("10")
    settle(page)
    rows = page.locator("tr.key-row")
    expect(rows).to_have_count(10)
    expect(rows.first.locator(".key-name")).to_have_text("key-12")  # newest first
    expect(page.locator("#page-status")).to_have_text("1–10 of 12")
    expect(page.get_by_role("button", name="Previous")).to_be_disabled()
    page.get_by_role("button", name="Next").click()
    settle(page)
    expect(rows).to_have_count(2)
    expect(rows.first.locator(".key-name")).to_have_text("key-02")
    expect(page.locator("#page-status")).to_have_text("11–12 of 12")
    expect(page.get_by_role("button", name="Next")).to_be_disabled()
    page.get_by_role("button", name="Previous").click()
    settle(page)
    expect(rows).to_have_count(10)
    expect(rows.first.locator(".key-name")).to_have_text("key-12")

    # a new project (CreateProject) becomes the current one
    page.get_by_role("button", name="New project").click()
    dialog = open_dialog(page)
    dialog.get_by_label("Project name").fill("Mobile app")
    dialog.get_by_role("button", name="Create project").click()
    expect_no_dialog(page)
    expect(page.get_by_label("Project", exact=True).locator("option:checked")).to_have_text("Mobile app")
    expect(page.locator("#plan-count")).to_have_text("0 of 20 keys")
    expect(page.get_by_text("No API keys yet")).to_be_visible()
    page.get_by_label("Project", exact=True).select_option(label="Backend")
    settle(page)
    expect(page.locator("#plan-count")).to_have_text("12 of 20 keys")
