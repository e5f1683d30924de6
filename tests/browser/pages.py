"""What the browser tests do on the page, in the words of the page (roles, labels, names)."""
from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

SECRET = re.compile(r"^kp_[0-9A-Za-z]{40,}$")


def sign_in(page: Page, site, token: str | None = None) -> None:
    page.goto(f"{site.url}/")
    page.get_by_label("Management token").fill(token or site.management)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="API Keys", level=1, exact=True)).to_be_visible()
    settle(page)


def settle(page: Page) -> None:
    """Wait until the key list has loaded (the loading row is visible while it loads)."""
    expect(page.locator("#keys-body tr").first).to_be_visible()
    expect(page.locator("#keys-body tr.state-row--loading")).to_have_count(0)
    expect(page.locator("#keys-table")).not_to_have_attribute("aria-busy", "true")


def refresh(page: Page) -> None:
    page.get_by_role("button", name="Refresh", exact=True).click()
    settle(page)


def open_dialog(page: Page) -> Locator:
    dialog = page.locator("dialog[open]")
    expect(dialog).to_be_visible()
    return dialog


def expect_no_dialog(page: Page) -> None:
    expect(page.locator("dialog")).to_have_count(0)


def row(page: Page, name: str) -> Locator:
    return page.locator("tr.key-row").filter(has=page.locator(".key-name", has_text=re.compile(rf"^{re.escape(name)}$")))


def choose_action(page: Page, key_name: str, action: str) -> None:
    row(page, key_name).get_by_role("button", name=f"Actions for {key_name}").click()
    page.get_by_role("menuitem", name=action, exact=True).click()


def select_tab(page: Page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()
    expect(page.get_by_role("tab", name=name, exact=True)).to_have_attribute("aria-selected", "true")
    settle(page)


def fill_create_form(dialog: Locator, name: str, *, ttl=None, all_time=None, recurring=None) -> None:
    """ttl=(value, "MINUTE"|"HOUR"|"DAY"); recurring=(amount, value, "HOUR"|"DAY"|"WEEK"|"MONTH")."""
    dialog.get_by_label("Name", exact=True).fill(name)
    if ttl:
        dialog.get_by_role("switch", name="Set expiration (TTL)").check()
        dialog.get_by_label("Expires after", exact=True).fill(str(ttl[0]))
        dialog.get_by_label("Expiration unit").select_option(ttl[1])
    if all_time is not None:
        dialog.get_by_role("switch", name="All-time usage limit").check()
        dialog.get_by_label("Lifetime cap (USD)").fill(all_time)
    if recurring:
        dialog.get_by_role("switch", name="Recurring usage limit").check()
        dialog.get_by_label("Amount (USD)").fill(recurring[0])
        dialog.get_by_label("Every", exact=True).fill(str(recurring[1]))
        dialog.get_by_label("Window unit").select_option(recurring[2])


def create_key(page: Page, name: str, **options) -> str:
    """Create a key through the dialog, read its secret, close the dialog; returns the secret."""
    page.get_by_role("button", name="Create API Key", exact=True).click()
    dialog = open_dialog(page)
    fill_create_form(dialog, name, **options)
    dialog.get_by_role("button", name="Create API key", exact=True).click()
    secret_box = dialog.get_by_label("Your new API key")
    expect(secret_box).to_have_value(SECRET)
    secret = secret_box.input_value()
    dialog.get_by_role("button", name="I have saved it — close").click()
    expect_no_dialog(page)
    settle(page)
    return secret


def masked(secret: str) -> str:
    random_part = secret[len("kp_"):]
    return f"kp_{random_part[:4]}…{random_part[-4:]}"


def field_error(dialog: Locator, path: str) -> Locator:
    return dialog.locator(f'[data-field="{path}"] > .field__error')
