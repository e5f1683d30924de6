"""Which URLs a webhook may have (SSRF): https:// to public addresses; private and loopback ones
(over http:// or https://) only with KEYPLANE_WEBHOOK_ALLOW_PRIVATE; link-local, multicast,
unspecified and reserved never. Refused with VALIDATION on url, nothing created."""
from __future__ import annotations

import ipaddress
from dataclasses import replace

import httpx
import pytest
from hypothesis import given, strategies as st

from app.domain.webhook_urls import UrlRefused, check_address, parse
from app.server import create_app

PRIVATE_V4 = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8")]
NEVER = [ipaddress.ip_network(n) for n in ("169.254.0.0/16", "224.0.0.0/4", "0.0.0.0/32", "240.0.0.0/4", "fe80::/10",
                                             "ff00::/8")]


def addresses_in(networks):
    return st.sampled_from(networks).flatmap(
        lambda net: st.integers(0, net.num_addresses - 1).map(lambda i: net.network_address + i))


@given(addresses_in(PRIVATE_V4), st.sampled_from(["http", "https"]))
def test_private_and_loopback_addresses_need_the_setting(address, scheme):
    with pytest.raises(UrlRefused):
        check_address(scheme, address, allow_private=False)
    check_address(scheme, address, allow_private=True)
    mapped = ipaddress.IPv6Address(f"::ffff:{address}")  # the same address, IPv4-mapped
    with pytest.raises(UrlRefused):
        check_address(scheme, mapped, allow_private=False)


@given(addresses_in(NEVER), st.booleans(), st.sampled_from(["http", "https"]))
def test_link_local_multicast_and_reserved_addresses_are_never_allowed(address, allow_private, scheme):
    with pytest.raises(UrlRefused):
        check_address(scheme, address, allow_private=allow_private)


@given(st.integers(0, 2**32 - 1).map(ipaddress.IPv4Address).filter(lambda a: a.is_global and not a.is_multicast), st.booleans())
def test_public_addresses_take_https_only(address, allow_private):
    check_address("https", address, allow_private)
    with pytest.raises(UrlRefused):
        check_address("http", address, allow_private)


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "https://", "https://user:pw@example.com/",
                                 "https://exa mple.com/", "gopher://example.com", "", "https://example.com:99999/"])
def test_malformed_urls_are_refused(url):
    with pytest.raises(UrlRefused):
        parse(url)


async def create(tenant, url: str) -> dict:
    return await tenant.gql.mutate("CreateWebhook", projectId=tenant.project_id, url=url, events=["KEY_ROLLED"])


async def test_without_the_setting_only_public_https_receivers_are_accepted(settings, clock, dns, acme):
    strict = create_app(replace(settings, webhook_allow_private=False), clock, manage_database=False, resolver=dns)
    dns.names.update({"internal.example.com": ["10.1.2.3"], "public.example.com": ["93.184.216.34"],
                      "mixed.example.com": ["93.184.216.34", "127.0.0.1"]})
    async with strict.router.lifespan_context(strict):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=strict), base_url="http://keyplane.test") as http:
            acme.gql.http = http
            for url in ("http://127.0.0.1:19100/hook", "https://127.0.0.1/hook", "https://10.0.0.7/", "http://public.example.com/",
                        "https://internal.example.com/", "https://mixed.example.com/", "https://[::1]/", "https://localhost./",
                        "https://169.254.169.254/latest/meta-data"):
                dns.names.setdefault("localhost", ["127.0.0.1"])
                payload = await create(acme, url)
                assert payload["webhook"] is None and [(e["code"], e["field"]) for e in payload["errors"]] == [
                    ("VALIDATION", "url")], url
            assert (await create(acme, "https://public.example.com/hook"))["errors"] == []
            assert (await create(acme, "https://not-resolving-yet.example.com/hook"))["errors"] == []  # checked at delivery
            hooks = (await acme.gql.run("ProjectWebhooks", projectId=acme.project_id))["project"]["webhooks"]
            assert [h["url"] for h in hooks] == ["https://public.example.com/hook", "https://not-resolving-yet.example.com/hook"]


async def test_with_the_setting_private_receivers_are_accepted_but_public_ones_still_need_https(acme, dns):
    dns.names["public.example.com"] = ["93.184.216.34"]
    assert (await create(acme, "http://127.0.0.1:19100/hook"))["errors"] == []
    assert (await create(acme, "http://192.168.1.20/hook"))["errors"] == []
    refused = await create(acme, "http://public.example.com/hook")
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("VALIDATION", "url")]
    refused = await create(acme, "http://169.254.169.254/")
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("VALIDATION", "url")]
