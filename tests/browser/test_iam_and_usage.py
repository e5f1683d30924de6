"""IAM rules through the catalog pickers, and usage from the data plane in the list and the
usage details."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.pages import choose_action, expect_no_dialog, open_dialog, refresh, row, sign_in


def test_iam_rules_are_set_with_the_catalog_pickers(page, site, shots):
    created = site.api.mutate("CreateApiKey", projectId=site.project_id, name="restricted")
    sign_in(page, site)
    expect(row(page, "restricted").locator('td[data-label="IAM Rules"]')).to_have_text("None")

    choose_action(page, "restricted", "IAM rules")
    dialog = open_dialog(page)
    expect(dialog.get_by_text("No rules: this key may use every model and provider.")).to_be_visible()
    rules = dialog.locator(".rule")

    # rule 1: allow provider openai (the provider picker lists the catalog's providers)
    dialog.get_by_role("button", name="Add rule").click()
    dialog.get_by_label("Rule 1 type").select_option("ALLOW_PROVIDERS")
    first = rules.nth(0)
    expect(first.get_by_role("checkbox")).to_have_count(15)
    first.get_by_label("Filter providers of rule 1").fill("open")
    expect(first.locator(".picker__option:visible")).to_have_count(1)
    first.get_by_role("checkbox", name=re.compile(r"^openai\b")).check()
    expect(first.locator(".chip")).to_have_text(["openai"])

    # rule 2: deny one model, picked after filtering, plus a typed pattern the catalog does not know
    dialog.get_by_role("button", name="Add rule").click()
    dialog.get_by_label("Rule 2 type").select_option("DENY_MODELS")
    second = rules.nth(1)
    second.get_by_label("Filter models of rule 2").fill("gpt-4o-mini")
    second.get_by_role("checkbox", name=re.compile(r"^openai\/gpt-4o-mini\b")).check()
    second.get_by_label("Filter models of rule 2").fill("nope/*")
    second.get_by_label("Filter models of rule 2").press("Enter")
    expect(second.locator(".chip")).to_have_text(["openai/gpt-4o-mini", "nope/*"])

    # rule 3: allow paid offers only
    dialog.get_by_role("button", name="Add rule").click()
    dialog.get_by_label("Rule 3 type").select_option("ALLOW_PRICING")
    rules.nth(2).get_by_role("checkbox", name=re.compile(r"^Paid\b")).check()

    # the unknown pattern is refused by the server at rules[1].values[1]: shown on that rule and value
    dialog.get_by_role("button", name="Save rules").click()
    expect(second.locator(":scope > .field__error")).to_contain_text("nope/*")
    expect(second.locator('.chip[data-field="rules[1].values[1]"]')).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(first.locator(":scope > .field__error")).to_be_hidden()
    shots(page, "iam-dialog-error-1280")

    second.get_by_role("button", name="Remove nope/*").click()
    dialog.get_by_role("button", name="Save rules").click()
    expect_no_dialog(page)
    iam = row(page, "restricted").locator('td[data-label="IAM Rules"]')
    expect(iam).to_contain_text("3 rules")
    expect(iam).to_contain_text("Allow providers · Deny models · Allow pricing")

    stored = site.api.run("ApiKey", id=created["apiKey"]["id"])["apiKey"]["iamRules"]
    assert [(rule["type"], rule["values"]) for rule in stored] == [
        ("ALLOW_PROVIDERS", ["openai"]), ("DENY_MODELS", ["openai/gpt-4o-mini"]), ("ALLOW_PRICING", ["PAID"]),
    ]
    # and the gateway now applies them
    secret = created["secret"]
    assert site.server.authorize(site.gateway, {"key": secret, "model": "openai/gpt-4o", "provider": "openai"})["code"] == "VALID"
    assert site.server.authorize(site.gateway, {"key": secret, "model": "openai/gpt-4o-mini", "provider": "openai"})["code"] == "FORBIDDEN"

    # reopening shows the saved rules in the pickers; removing them all clears the key's rules
    choose_action(page, "restricted", "IAM rules")
    dialog = open_dialog(page)
    expect(dialog.get_by_label("Rule 1 type")).to_have_value("ALLOW_PROVIDERS")
    expect(dialog.locator(".rule").nth(0).get_by_role("checkbox", name=re.compile(r"^openai\b"))).to_be_checked()
    page.set_viewport_size({"width": 390, "height": 844})
    shots(page, "iam-dialog-390")
    page.set_viewport_size({"width": 1280, "height": 900})
    for _ in range(3):
        dialog.get_by_role("button", name="Remove rule 1").click()
    expect(dialog.get_by_text("No rules: this key may use every model and provider.")).to_be_visible()
    dialog.get_by_role("button", name="Save rules").click()
    expect_no_dialog(page)
    expect(row(page, "restricted").locator('td[data-label="IAM Rules"]')).to_have_text("None")


def test_usage_reported_by_the_gateway_shows_in_the_list_and_the_details(page, site, shots):
    created = site.api.mutate("CreateApiKey", projectId=site.project_id, name="metered", allTimeLimit="100",
                              recurringLimit={"amount": "10", "window": {"value": 1, "unit": "DAY"}})
    key_id = created["apiKey"]["id"]
    sign_in(page, site)
    usage = row(page, "metered").locator('td[data-label="Usage"]')
    period = row(page, "metered").locator('td[data-label="Current Period"]')
    expect(usage).to_have_text("$0.00")
    expect(row(page, "metered").locator(".cell-sub").first).to_have_text("Never used")

    site.clock.advance(minutes=5)
    answer = site.server.record_usage(site.gateway, {"keyId": key_id, "requestId": "r1", "cost": "0.25"})
    assert answer == {"results": [{"requestId": "r1", "recorded": True}]}
    refresh(page)
    expect(usage).to_have_text("$0.25")
    expect(period).to_contain_text("$0.25 of $10.00")
    expect(row(page, "metered").locator(".cell-sub").first).to_have_text("Last used Jan 31, 2026, 10:05 AM")

    # more traffic: a provider-key request today, and one two days later
    site.server.record_usage(site.gateway, {"keyId": key_id, "requestId": "r2", "cost": "1.5", "model": "openai/gpt-4o",
                                            "provider": "openai", "source": "PROVIDER_KEY"})
    site.clock.advance(days=2)
    site.server.record_usage(site.gateway, {"keyId": key_id, "requestId": "r3", "cost": "0.000000001",
                                            "model": "anthropic/claude-sonnet-4", "provider": "anthropic"})
    refresh(page)
    expect(usage).to_have_text("$1.750000001")  # exact, from the decimal string
    expect(period).to_contain_text("$0.000000001 of $10.00")  # a new daily window
    shots(page, "list-usage-1280")

    choose_action(page, "metered", "Usage details")
    dialog = open_dialog(page)
    expect(dialog.get_by_role("heading", name="Usage · metered")).to_be_visible()
    stats = dialog.locator(".stat")
    expect(stats.nth(0)).to_contain_text("$1.750000001")
    expect(stats.nth(2)).to_contain_text("3 requests")
    expect(stats.nth(3)).to_contain_text("$0.250000001 credits")
    expect(stats.nth(3)).to_contain_text("$1.50 via provider keys")

    chart = dialog.get_by_role("img", name=re.compile(r"^Spend per day"))
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute("aria-label", re.compile(r"\$1\.750000001 over 3 requests"))
    bar = dialog.locator('rect.chart__bar[data-day="2026-01-31"]')
    expect(bar).to_have_attribute("data-amount", "1.75")
    tallest = float(bar.get_attribute("height"))
    smallest = float(dialog.locator('rect.chart__bar[data-day="2026-02-02"]').get_attribute("height"))
    assert tallest > 100 and smallest == 2  # scaled exactly; a non-zero day is always visible
    expect(dialog.locator("rect.chart__bar:not(.chart__bar--empty)")).to_have_count(2)

    requests = dialog.locator(".usage__section").nth(1).locator("tbody tr")
    expect(requests).to_have_count(3)
    expect(requests.nth(0)).to_contain_text("r3")
    expect(requests.nth(0)).to_contain_text("anthropic/claude-sonnet-4")
    expect(requests.nth(0)).to_contain_text("$0.000000001")
    expect(requests.nth(1)).to_contain_text("Provider key")
    expect(requests.nth(1)).to_contain_text("$1.50")
    expect(requests.nth(2)).to_contain_text("r1")
    expect(requests.nth(2)).to_contain_text("$0.25")
    shots(page, "usage-dialog-1280")
    dialog.get_by_text("Show the numbers").click()
    expect(dialog.locator(".chart-figure__data tbody tr")).to_have_count(2)

    # at phone width the chart is redrawn narrower, so its labels stay readable
    page.set_viewport_size({"width": 390, "height": 844})
    expect(dialog.get_by_role("img", name=re.compile(r"^Spend per day"))).to_have_attribute("viewBox", "0 0 380 200")
    shots(page, "usage-dialog-390")
    page.keyboard.press("Escape")
    expect_no_dialog(page)
    expect(row(page, "metered").get_by_role("button", name="Actions for metered")).to_be_focused()
