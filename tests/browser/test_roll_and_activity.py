"""Rolling a key from its ⋮ menu (the grace picked, the new secret shown once, the list's "previous
key valid until …") and the Activity view of a project and of a key."""
from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.pages import (
    SECRET, choose_action, create_key, expect_no_dialog, masked, open_dialog, row, settle, sign_in,
)

MODEL = "openai/gpt-4o"


def test_roll_a_key_with_a_grace_and_see_the_new_secret_once(page, site, shots):
    sign_in(page, site)
    old = create_key(page, "production")
    choose_action(page, "production", "Roll key")
    dialog = open_dialog(page)
    expect(dialog.get_by_role("heading", name="Roll API key")).to_be_visible()
    expect(dialog.get_by_label("1 day")).to_be_checked()

    # a custom grace over 30 days: the server's error shows next to the grace
    dialog.get_by_label("Custom", exact=True).check()
    dialog.get_by_label("Custom grace period").fill("31")
    dialog.get_by_label("Custom grace unit").select_option("DAY")
    dialog.get_by_role("button", name="Roll key").click()
    expect(dialog.locator('[data-field="gracePeriod"] .field__error')).to_contain_text("at most 30 days")
    assert site.server.authorize(site.gateway, {"key": old, "model": MODEL})["code"] == "VALID"  # nothing changed

    dialog.get_by_label("7 days").check()
    shots(page, "roll-dialog-1280")
    dialog.get_by_role("button", name="Roll key").click()
    secret_box = dialog.get_by_label("Your new API key")
    expect(secret_box).to_have_value(SECRET)
    new = secret_box.input_value()
    assert new != old
    expect(dialog.get_by_text("you will not see it again")).to_be_visible()
    shots(page, "roll-secret-1280")
    dialog.get_by_role("button", name="I have saved it — close").click()
    expect_no_dialog(page)
    assert new not in page.content()

    settle(page)
    key = row(page, "production")
    expect(key.locator("code.masked-key")).to_have_text(masked(new))
    expect(key.locator('td[data-label="API Key"]')).to_contain_text("Previous key valid until Feb 7, 2026")
    for secret in (old, new):
        assert site.server.authorize(site.gateway, {"key": secret, "model": MODEL})["code"] == "VALID"


def test_roll_without_a_grace_stops_the_old_key_at_once(page, site):
    sign_in(page, site)
    old = create_key(page, "ci")
    choose_action(page, "ci", "Roll key")
    dialog = open_dialog(page)
    dialog.get_by_label("None: the current key stops working now").check()
    dialog.get_by_role("button", name="Roll key").click()
    expect(dialog.get_by_label("Your new API key")).to_have_value(SECRET)
    new = dialog.get_by_label("Your new API key").input_value()
    dialog.get_by_role("button", name="I have saved it — close").click()
    settle(page)
    expect(row(page, "ci").locator('td[data-label="API Key"]')).not_to_contain_text("Previous key")
    assert site.server.authorize(site.gateway, {"key": old, "model": MODEL})["code"] == "NOT_FOUND"
    assert site.server.authorize(site.gateway, {"key": new, "model": MODEL})["code"] == "VALID"


def test_activity_of_a_project_and_of_a_key(page, site, shots):
    sign_in(page, site)
    create_key(page, "alpha")
    create_key(page, "beta")
    key_id = site.api.run("ProjectApiKeys", projectId=site.project_id)["project"]["apiKeys"]["edges"][1]["node"]["id"]
    site.api.mutate("RenameApiKey", id=key_id, name="alpha2")
    page.get_by_role("button", name="Refresh", exact=True).click()
    settle(page)

    page.get_by_role("button", name="Activity", exact=True).click()
    dialog = open_dialog(page)
    events = dialog.locator(".activity__event")
    # newest first: the rename, the two creations, the bootstrap's project
    expect(events).to_have_count(4)
    expect(events.nth(0)).to_contain_text("Key renamed")
    expect(events.nth(0)).to_contain_text("name: alpha → alpha2")
    expect(events.nth(0)).to_contain_text("Token “bootstrap”")
    expect(events.nth(3)).to_contain_text("Project created")
    expect(events.nth(3)).to_contain_text("keyplane")
    shots(page, "activity-project-1280")
    page.keyboard.press("Escape")
    expect_no_dialog(page)
    expect(page.get_by_role("button", name="Activity", exact=True)).to_be_focused()

    choose_action(page, "alpha2", "Activity")
    dialog = open_dialog(page)
    expect(dialog.locator(".activity__event")).to_have_count(2)
    expect(dialog.locator(".activity__event").nth(1)).to_contain_text("Key created")
    expect(dialog.locator(".activity__event").nth(1)).to_contain_text("name: none → alpha")
    expect(dialog).not_to_contain_text("beta")
    shots(page, "activity-key-1280")
