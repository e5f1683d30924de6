"""Resolving a webhook URL's host and checking every address it resolves to (app/domain/webhook_urls.py).

The resolver is injectable (tests resolve names to chosen addresses, with no DNS). The
deliverer connects to the address checked here, never to a second lookup's answer.
"""
from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Awaitable, Callable

from app.domain.webhook_urls import Address, Target, UrlRefused, check_address, check_scheme, parse

Resolver = Callable[[str, int], Awaitable[list[Address]]]


class ResolveFailed(Exception):
    pass


RESOLVE_TIMEOUT_S = 3


async def system_resolver(host: str, port: int) -> list[Address]:
    """The system's resolver, given at most 3 s (a mutation never hangs on a slow DNS server)."""
    try:
        infos = await asyncio.wait_for(
            asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM), RESOLVE_TIMEOUT_S)
    except (socket.gaierror, UnicodeError, OSError, asyncio.TimeoutError) as exc:
        raise ResolveFailed(f"cannot resolve the url's host ({type(exc).__name__})") from None
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos))


async def addresses_of(target: Target, resolver: Resolver) -> list[Address]:
    literal = target.literal
    if literal is not None:
        return [literal]
    found = await resolver(target.host, target.port)
    if not found:
        raise ResolveFailed("the url's host resolves to no address")
    return found


async def checked(url: str, allow_private: bool, resolver: Resolver, *, unresolved_ok: bool) -> tuple[Target, list[Address]]:
    """The URL's target and its addresses, all allowed; UrlRefused otherwise. ``unresolved_ok`` (at
    creation): a name that does not resolve yet is accepted, since every attempt checks again."""
    target = parse(url)
    check_scheme(target, allow_private)
    try:
        addresses = await addresses_of(target, resolver)
    except ResolveFailed as exc:
        if unresolved_ok:
            return target, []
        raise UrlRefused(str(exc)) from None
    for address in addresses:
        check_address(target.scheme, address, allow_private)
    return target, addresses
