"""Signing in and out, keyboard use, and the layout at phone width."""
from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from tests.browser.pages import create_key, open_dialog, row, settle, sign_in

TOKEN_KEY = "keyplane.token"


def stored_token(page):
    return page.evaluate(f"() => sessionStorage.getItem('{TOKEN_KEY}')")


def test_sign_in_keeps_the_token_in_session_storage_only(page, site, shots):
    response = page.goto(f"{site.url}/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.get_by_role("heading", name="Sign in to API Keys")).to_be_visible()
    shots(page, "signin-1280")

    # a wrong token and a gateway token are refused, next to the field
    token_field = page.get_by_label("Management token")
    token_field.fill("kpm_not-a-real-token")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator("#token-error")).to_contain_text("not accepted")
    expect(token_field).to_have_attribute("aria-invalid", "true")
    token_field.fill(site.gateway)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator("#token-error")).to_contain_text("gateway tokens")
    assert stored_token(page) is None

    token_field.fill(site.management)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="API Keys", level=1, exact=True)).to_be_visible()
    expect(page.locator("#org-name")).to_have_text("default")
    expect(page.locator("#org-plan")).to_have_text("Free")
    expect(page.get_by_label("Project", exact=True)).to_have_value(site.project_id)
    expect(page.locator("#plan-count")).to_have_text("0 of 5 keys")
    expect(page.get_by_text("No API keys yet")).to_be_visible()

    # the token lives in sessionStorage only: not in the URL, the DOM, or localStorage
    assert stored_token(page) == site.management
    assert site.management not in page.url
    assert site.management not in page.content()
    assert page.evaluate("() => JSON.stringify(localStorage)") == "{}"
    assert page.evaluate("() => document.getElementById('token-input').value") == ""

    # a reload keeps the session (same tab)
    page.reload()
    expect(page.get_by_role("heading", name="API Keys", level=1, exact=True)).to_be_visible()
    expect(page.locator("#plan-count")).to_have_text("0 of 5 keys")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to API Keys")).to_be_visible()
    assert stored_token(page) is None
    page.reload()
    expect(page.get_by_role("heading", name="Sign in to API Keys")).to_be_visible()


def test_a_revoked_token_signs_the_tab_out(page, site):
    from app.services import tokens

    extra = site.server.call(tokens.create(site.clock, tokens.MANAGEMENT, 1, "short-lived")).secret
    sign_in(page, site, extra)
    site.server.call(tokens.revoke(site.clock, extra))
    deadline = time.monotonic() + 5  # revocation reaches the server's token cache within a poll interval
    while site.server.http.post("/graphql", json={"query": "{ __typename }"},
                                headers={"Authorization": f"Bearer {extra}"}).status_code != 401:
        assert time.monotonic() < deadline, "the revoked token is still accepted"
        time.sleep(0.05)
    # the next request of the page is refused (the page may already have refreshed on its own,
    # e.g. when the tab became visible: dispatch the click without waiting for the button)
    page.locator("#refresh").dispatch_event("click")
    expect(page.get_by_role("heading", name="Sign in to API Keys")).to_be_visible()
    expect(page.locator("#token-error")).to_contain_text("session ended")
    assert stored_token(page) is None


def test_focus_stays_where_the_user_put_it_while_the_keys_load(page, site):
    # hold the first key list response until the user has moved on
    held = []

    def hold_key_list(route):
        if "ProjectApiKeys" in (route.request.post_data or "") and not held:
            held.append(route)
        else:
            route.continue_()

    page.route("**/graphql", hold_key_list)
    page.goto(f"{site.url}/")
    page.get_by_label("Management token").fill(site.management)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator("#keys-body tr.state-row--loading")).to_be_visible()
    create_button = page.get_by_role("button", name="Create API Key", exact=True)
    create_button.focus()
    deadline = time.monotonic() + 10
    while not held:
        assert time.monotonic() < deadline, "the key list was never requested"
        page.wait_for_timeout(20)
    held[0].continue_()
    settle(page)
    expect(create_button).to_be_focused()


def test_dialogs_and_menus_work_with_the_keyboard(page, site):
    sign_in(page, site)
    create_button = page.get_by_role("button", name="Create API Key", exact=True)
    create_button.focus()
    page.keyboard.press("Enter")
    dialog = open_dialog(page)
    expect(dialog.get_by_label("Name", exact=True)).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("dialog")).to_have_count(0)
    expect(create_button).to_be_focused()

    create_key(page, "keyboard")
    menu_button = row(page, "keyboard").get_by_role("button", name="Actions for keyboard")
    menu_button.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("menuitem", name="Usage details")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("menuitem", name="Rename")).to_be_focused()
    page.keyboard.press("End")
    expect(page.get_by_role("menuitem", name="Delete")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_role("menu")).to_have_count(0)
    expect(menu_button).to_be_focused()

    page.keyboard.press("ArrowDown")  # opens the menu on its first item
    expect(page.get_by_role("menuitem", name="Usage details")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("menuitem", name="Rename")).to_be_focused()
    page.keyboard.press("Enter")
    dialog = open_dialog(page)
    expect(dialog.get_by_label("Name", exact=True)).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("dialog")).to_have_count(0)
    expect(row(page, "keyboard").get_by_role("button", name="Actions for keyboard")).to_be_focused()

    # tabs: arrow keys move between Active / Inactive / All
    page.get_by_role("tab", name="All").focus()
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_role("tab", name="Inactive")).to_be_focused()
    expect(page.get_by_role("tab", name="Inactive")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_text("No inactive keys")).to_be_visible()


def test_the_page_fits_a_phone(page, site, shots):
    for name in ("mobile-one", "mobile-two"):
        site.api.mutate("CreateApiKey", projectId=site.project_id, name=name, allTimeLimit="25",
                        recurringLimit={"amount": "5", "window": {"value": 1, "unit": "WEEK"}})
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{site.url}/")
    shots(page, "signin-390")
    sign_in(page, site)
    expect(row(page, "mobile-one")).to_be_visible()
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at 390px"
    # each key is a card that still names every column
    card = row(page, "mobile-one")
    for label in ("API Key", "Status", "Created", "Usage", "Current Period", "Limits", "IAM Rules"):
        expect(card.locator(f'td[data-label="{label}"]')).to_be_visible()
    expect(card).to_contain_text(re.compile(r"\$5\.00 / 1 week"))
    shots(page, "list-390", full_page=True)
