"""The page never scrolls sideways, from a phone (390 px) to a wide screen (1920 px), even with
the longest names, several IAM rules and the largest amounts; dates never break in two."""
from __future__ import annotations

from datetime import datetime, timezone

from playwright.sync_api import expect

from tests.browser.pages import row, settle, sign_in

WIDTHS = [390, 480, 640, 768, 900, 1024, 1120, 1121, 1180, 1280, 1366, 1440, 1600, 1920]
LONG_NAME = "production-eu-west-1-checkout-service-with-a-rather-long-name-x"   # 64 characters
UNBROKEN_NAME = "W" * 64
BIG = "999999999.123456789"   # the largest amounts with the most decimals


def _crowd(site) -> None:
    """Keys that stretch every column: long names, every kind of rule, huge limits and usage."""
    site.clock.set(datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc))
    rules = [
        {"type": "ALLOW_PROVIDERS", "values": ["openai", "anthropic", "google-vertex", "aws-bedrock"]},
        {"type": "DENY_MODELS", "values": ["openai/gpt-4o-mini", "anthropic/claude-3-haiku"]},
        {"type": "ALLOW_PRICING", "values": ["PAID"]},
        {"type": "DENY_PROVIDERS", "values": ["deepinfra"]},
    ]
    for name, key_rules in ((LONG_NAME, rules[:2]), (UNBROKEN_NAME, rules), ("two rules", rules[:2])):
        created = site.api.mutate("CreateApiKey", projectId=site.project_id, name=name,
                                  ttl={"value": 3650, "unit": "DAY"}, allTimeLimit="1000000000",
                                  recurringLimit={"amount": BIG, "window": {"value": 8760, "unit": "HOUR"}},
                                  iamRules=key_rules)
        site.server.record_usage(site.gateway, {"events": [
            {"keyId": created["apiKey"]["id"], "requestId": f"{name}-{i}", "cost": "999999999.999999999",
             "model": "openai/gpt-4o", "provider": "openai"} for i in range(8)]})


def _overflow(page) -> dict:
    return page.evaluate("""() => {
        const panel = document.querySelector('#keys-panel');
        const table = document.querySelector('#keys-table');
        const wrapped = [...document.querySelectorAll('#keys-body time')]
            .filter((t) => t.getClientRects().length > 1 || t.getBoundingClientRect().height > 24)
            .map((t) => t.textContent);
        const outside = [...document.querySelectorAll('#keys-body .menu__button')]
            .filter((b) => b.getBoundingClientRect().right > panel.getBoundingClientRect().right + 0.5).length;
        return {
            page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
            table: Math.ceil(table.getBoundingClientRect().width) - panel.clientWidth,
            wrapped, outside,
        };
    }""")


def test_no_sideways_scroll_at_any_width(page, site, shots):
    _crowd(site)
    sign_in(page, site)
    expect(row(page, "two rules")).to_be_visible()
    problems = {}
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        settle(page)
        measured = _overflow(page)
        if measured["page"] > 0 or measured["table"] > 0 or measured["wrapped"] or measured["outside"]:
            problems[width] = measured
        if width in (390, 1024, 1280, 1920):
            shots(page, f"layout-crowded-{width}", full_page=True)
    assert problems == {}, problems
