"""What the page tells people: errors in their words, a key stopped by its period limit, the
one-time secret that asks before it is lost, a pager that waits for its page, the way forward
for an organization without projects, and a list that refreshes itself."""
from __future__ import annotations

import re
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from playwright.sync_api import expect

from tests.browser.pages import SECRET, expect_no_dialog, field_error, open_dialog, row, settle, sign_in

API_FIELD_NAME = re.compile(r"\b[a-z]+[A-Z]\w*|[a-zA-Z]\.[a-zA-Z]|\[\d+\]")   # allTimeLimit, recurringLimit.amount, rules[0]


def _describe(page, error: dict) -> str:
    return page.evaluate("async (error) => (await import('/ui/messages.js')).describeError(error)", error)


# ------------------------------------------------------------------ 13: errors in people's words

def test_field_errors_use_the_forms_labels_and_plain_sentences(page, site):
    sign_in(page, site)
    page.get_by_role("button", name="Create API Key", exact=True).click()
    dialog = open_dialog(page)
    dialog.get_by_label("Name", exact=True).fill("prod")
    dialog.get_by_role("switch", name="All-time usage limit").check()
    dialog.get_by_role("switch", name="Recurring usage limit").check()
    dialog.get_by_label("Amount (USD)").fill("5")
    for lifetime, amount, field, shown in [
        ("-1", "5", "allTimeLimit", "Lifetime cap can't be negative."),
        ("1.0000000001", "5", "allTimeLimit", "Lifetime cap can have at most 9 decimal places."),
        ("2000000000", "5", "allTimeLimit", "Lifetime cap can be at most $1,000,000,000."),
        ("10", "12abc", "recurringLimit.amount", "Recurring amount must be an amount in dollars, such as 10 or 2.50."),
        ("10", "-5", "recurringLimit.amount", "Recurring amount can't be negative."),
    ]:
        dialog.get_by_label("Lifetime cap (USD)").fill(lifetime)
        dialog.get_by_label("Amount (USD)").fill(amount)
        dialog.get_by_role("button", name="Create API key", exact=True).click()
        expect(field_error(dialog, field)).to_have_text(shown)
    dialog.get_by_label("Amount (USD)").fill("5")
    dialog.get_by_label("Name", exact=True).fill("   ")
    dialog.get_by_role("button", name="Create API key", exact=True).click()
    expect(field_error(dialog, "name")).to_have_text("Name is required.")
    assert site.api.run("ProjectApiKeys", projectId=site.project_id)["project"]["apiKeys"]["edges"] == []


BAD_AMOUNTS = st.one_of(
    st.decimals(max_value=Decimal("-0.000000001"), allow_nan=False, places=9).map(str),                 # negative
    st.decimals(min_value=Decimal("1000000000.000000001"), max_value=10**15, places=9).map(str),      # too large
    st.integers(10, 18).flatmap(lambda places: st.just("1." + "0" * (places - 1) + "1")),      # too precise
    st.text(st.sampled_from("abc$€,_ +e"), min_size=1, max_size=8).map(lambda t: f"1{t}2"),    # not a number
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amount=BAD_AMOUNTS, target=st.sampled_from(["allTimeLimit", "recurringLimit"]))
def test_every_refused_amount_reads_as_a_sentence_with_the_label(page, site, amount, target):
    """Whatever the server says about a bad amount, the page names the field by its label."""
    if page.url == "about:blank":
        sign_in(page, site)
    limits = {"allTimeLimit": amount} if target == "allTimeLimit" else {
        "recurringLimit": {"amount": amount, "window": {"value": 1, "unit": "DAY"}}}
    response = site.server.http.post("/graphql", headers={"Authorization": f"Bearer {site.management}"}, json={
        "query": "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { errors { code field message } } }",
        "variables": {"i": {"projectId": site.project_id, "name": "x", **limits}}})
    errors = response.json()["data"]["createApiKey"]["errors"]
    assert errors, amount
    for error in errors:
        shown = _describe(page, error)
        assert shown.startswith("Lifetime cap " if target == "allTimeLimit" else "Recurring amount "), (error, shown)
        assert shown.endswith(".") and not API_FIELD_NAME.search(shown), (error, shown)


# ------------------------------------------------------------------ 14: stopped by the period limit

def test_a_key_at_its_period_limit_says_so_and_when_it_resets(page, site):
    stopped = site.api.mutate("CreateApiKey", projectId=site.project_id, name="stopped",
                              recurringLimit={"amount": "1", "window": {"value": 1, "unit": "DAY"}})
    running = site.api.mutate("CreateApiKey", projectId=site.project_id, name="running",
                              recurringLimit={"amount": "1", "window": {"value": 1, "unit": "DAY"}})
    site.server.record_usage(site.gateway, {"events": [
        {"keyId": stopped["apiKey"]["id"], "requestId": "r1", "cost": "1"},
        {"keyId": running["apiKey"]["id"], "requestId": "r2", "cost": "0.5"}]})
    sign_in(page, site)
    period = row(page, "stopped").locator('td[data-label="Current Period"]')
    expect(period).to_contain_text("Period limit reached, resets Feb 1, 2026, 10:00 AM")
    other = row(page, "running").locator('td[data-label="Current Period"]')
    expect(other).to_contain_text("Resets Feb 1, 2026, 10:00 AM")
    expect(other).not_to_contain_text("limit reached")


# ------------------------------------------------------------------ 15: the one-time secret asks first

def test_escape_on_the_secret_asks_before_the_key_is_lost(page, site):
    sign_in(page, site)
    page.get_by_role("button", name="Create API Key", exact=True).click()
    dialog = open_dialog(page)
    dialog.get_by_label("Name", exact=True).fill("once")
    dialog.get_by_role("button", name="Create API key", exact=True).click()
    expect(dialog.get_by_label("Your new API key")).to_have_value(SECRET)

    page.keyboard.press("Escape")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_text("Close without saving the key? It cannot be shown again.")).to_be_visible()
    expect(dialog.get_by_role("button", name="Keep it open")).to_be_focused()
    page.keyboard.press("Escape")   # Escape on the question goes back to the key
    expect(dialog.get_by_text("Close without saving the key?")).to_have_count(0)
    expect(dialog.get_by_label("Your new API key")).to_have_value(SECRET)
    page.keyboard.press("Escape")
    dialog.get_by_role("button", name="Keep it open").click()
    expect(dialog.get_by_role("button", name="I have saved it — close")).to_be_visible()

    dialog.get_by_role("button", name="Close dialog").click()   # × asks too
    dialog.get_by_role("button", name="Close without saving").click()
    expect_no_dialog(page)
    expect(row(page, "once")).to_be_visible()


# ------------------------------------------------------------------ 16: the pager waits for its page

def test_the_pager_offers_nothing_while_loading_or_after_a_failure(page, site):
    from app.services import orgs

    site.server.call(orgs.set_plan(site.clock, "default", "free", 50))
    for i in range(12):
        site.api.mutate("CreateApiKey", projectId=site.project_id, name=f"key-{i:02d}")
    sign_in(page, site)
    page.locator("#page-size").select_option("10")
    settle(page)
    status, prev, next_ = page.locator("#page-status"), page.locator("#page-prev"), page.locator("#page-next")
    expect(status).to_have_text("1–10 of 12")
    expect(next_).to_be_enabled()

    held = []

    def hold_key_pages(route) -> None:
        if (route.request.post_data_json or {}).get("operationName") == "ProjectApiKeys":
            held.append(route)
        else:
            route.continue_()

    page.route("**/graphql", hold_key_pages)
    next_.click()
    expect(status).to_have_text("Loading…")
    expect(next_).to_be_disabled()
    expect(prev).to_be_disabled()
    assert len(held) == 1
    held[0].fulfill(status=503, json={"errors": [{"message": "the database is unavailable; retry shortly",
                                                  "extensions": {"code": "UNAVAILABLE"}}]})
    body = page.locator("#keys-body")
    expect(body).to_contain_text("The keys could not be loaded")
    expect(body).to_contain_text("keyplane cannot reach its database right now. Nothing was changed; try again in a moment.")
    expect(body).not_to_contain_text("retry shortly")
    expect(status).to_have_text("")
    expect(next_).to_be_disabled()
    expect(prev).to_be_disabled()

    page.unroute("**/graphql")
    page.get_by_role("button", name="Try again").click()
    expect(status).to_have_text("11–12 of 12")
    expect(prev).to_be_enabled()
    expect(next_).to_be_disabled()


# ------------------------------------------------------------------ 17: no project yet

def test_an_organization_without_projects_is_offered_to_create_one(page, site):
    from app.services import orgs, tokens

    org = site.server.call(orgs.create_org(site.clock, "newcomer", "free"))
    token = site.server.call(tokens.create(site.clock, tokens.MANAGEMENT, org.id, "test")).secret
    sign_in(page, site, token)
    body = page.locator("#keys-body")
    expect(body).to_contain_text("No project yet")
    body.get_by_role("button", name="Create project").click()
    dialog = open_dialog(page)
    dialog.get_by_label("Project name").fill("Mobile app")
    dialog.get_by_role("button", name="Create project").click()
    expect_no_dialog(page)
    expect(page.locator("#project-select option:checked")).to_have_text("Mobile app")
    expect(body).to_contain_text("No API keys yet")
    expect(page.get_by_role("button", name="Create API Key", exact=True)).to_be_enabled()

    # a second project with the same name (any case, any padding) is refused at the name field
    page.get_by_role("button", name="New project").click()
    dialog = open_dialog(page)
    dialog.get_by_label("Project name").fill("  mobile APP ")
    dialog.get_by_role("button", name="Create project").click()
    expect(field_error(dialog, "name")).to_contain_text("Project name is already used by another project")
    expect(page.locator("#project-select option")).to_have_count(1)


# ------------------------------------------------------------------ 18: the list refreshes itself

def test_the_list_refreshes_every_15_seconds_and_on_focus_but_not_under_a_dialog(page, site):
    page.clock.install()
    sign_in(page, site)
    site.api.mutate("CreateApiKey", projectId=site.project_id, name="made elsewhere")
    page.clock.run_for(14_000)
    expect(row(page, "made elsewhere")).to_have_count(0)
    page.clock.run_for(1_000)
    expect(row(page, "made elsewhere")).to_be_visible()

    # not while a dialog is open: the user is working there
    page.get_by_role("button", name="Create API Key", exact=True).click()
    open_dialog(page)
    site.api.mutate("CreateApiKey", projectId=site.project_id, name="while typing")
    page.clock.run_for(31_000)
    page.keyboard.press("Escape")
    expect_no_dialog(page)
    expect(row(page, "while typing")).to_have_count(0)
    page.clock.run_for(15_000)
    expect(row(page, "while typing")).to_be_visible()

    # the tab regains focus: the visible page at once
    site.api.mutate("CreateApiKey", projectId=site.project_id, name="back from lunch")
    page.evaluate("() => window.dispatchEvent(new Event('focus'))")
    expect(row(page, "back from lunch")).to_be_visible()
