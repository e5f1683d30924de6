"""Which webhook URLs keyplane may call (SSRF), as pure functions over the URL and the addresses
its host resolves to; the resolving happens in app/services/webhook_targets.py, at creation
and again before every attempt (a name may resolve elsewhere later: DNS rebinding).

https:// to public addresses only, by default. With KEYPLANE_WEBHOOK_ALLOW_PRIVATE, private and
loopback addresses are allowed too, over http:// or https:// (on-premises receivers), and
public ones still over https:// only. Link-local (cloud metadata), multicast, unspecified and
reserved addresses are never allowed.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2048
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class UrlRefused(ValueError):
    pass


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # without brackets for IPv6
    port: int

    @property
    def literal(self) -> Address | None:
        try:
            return ipaddress.ip_address(self.host)
        except ValueError:
            return None


def parse(url: str) -> Target:
    """The scheme, host and port of a webhook URL, or UrlRefused."""
    if not isinstance(url, str) or not 0 < len(url) <= MAX_URL_LENGTH:
        raise UrlRefused(f"url must be 1 to {MAX_URL_LENGTH} characters")
    if any(ord(c) <= 32 or ord(c) == 127 for c in url):
        raise UrlRefused("url must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UrlRefused("url is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UrlRefused("url must start with https://")
    if parts.username is not None or parts.password is not None:
        raise UrlRefused("url must not contain credentials")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UrlRefused("url must name a host")
    return Target(scheme, host, port or (443 if scheme == "https" else 80))


def _plain(address: Address) -> Address:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_local(address: Address) -> bool:
    """Loopback or private (on-premises), and not one of the never-allowed kinds."""
    address = _plain(address)
    return (address.is_loopback or address.is_private) and not _never(address)


def _never(address: Address) -> bool:
    return address.is_link_local or address.is_multicast or address.is_unspecified or address.is_reserved


def check_address(scheme: str, address: Address, allow_private: bool) -> None:
    """UrlRefused unless keyplane may send a delivery over ``scheme`` to ``address``."""
    address = _plain(address)
    if _never(address):
        raise UrlRefused("url's host resolves to an address that webhooks may never use")
    if is_local(address):
        if not allow_private:
            raise UrlRefused("url's host is a private or loopback address (allowed only with KEYPLANE_WEBHOOK_ALLOW_PRIVATE)")
        return
    if not address.is_global:
        raise UrlRefused("url's host resolves to an address that webhooks may never use")
    if scheme != "https":
        raise UrlRefused("url must start with https:// (http:// only to a private or loopback address)")


def check_scheme(target: Target, allow_private: bool) -> None:
    """What can be said before resolving: without KEYPLANE_WEBHOOK_ALLOW_PRIVATE only https:// is allowed."""
    if target.scheme != "https" and not allow_private:
        raise UrlRefused("url must start with https://")
