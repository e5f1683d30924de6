"""Relay global ids: base64url("Type:pk"), opaque to clients and stable across instances."""
from __future__ import annotations

import base64
import binascii
from functools import lru_cache

TYPES = ("Organization", "Project", "ApiKey", "IamRule", "UsageRecord", "Token", "AuditEvent", "Webhook", "WebhookDelivery")


@lru_cache(maxsize=65536)  # the data plane encodes the same few ids on every answer
def encode(type_name: str, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


@lru_cache(maxsize=65536)  # a usage batch names the same key id on every event
def _decode_cached(global_id: str) -> tuple[str, int] | None:
    return _decode(global_id)


def decode(global_id: object) -> tuple[str, int] | None:
    """(type, pk), or None for anything malformed; callers treat None like an unknown id."""
    if not isinstance(global_id, str) or not 0 < len(global_id) <= 64:
        return None
    return _decode_cached(global_id)


def _decode(global_id: str) -> tuple[str, int] | None:
    try:
        raw = base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    type_name, sep, pk = raw.partition(":")
    if not sep or type_name not in TYPES or not pk.isdigit() or len(pk) > 18 or pk != str(int(pk)):
        return None
    return type_name, int(pk)


def decode_as(type_name: str, global_id: object) -> int | None:
    decoded = decode(global_id)
    if decoded is None or decoded[0] != type_name:
        return None
    return decoded[1]
