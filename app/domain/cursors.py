"""Opaque pagination cursors: base64url of "kind:part:part"."""
from __future__ import annotations

import base64
import binascii


def encode_cursor(kind: str, *parts: int) -> str:
    raw = ":".join([kind, *(str(p) for p in parts)])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(kind: str, cursor: str, arity: int) -> tuple[int, ...] | None:
    if not isinstance(cursor, str) or len(cursor) > 200:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    head, *parts = raw.split(":")
    if head != kind or len(parts) != arity:
        return None
    try:
        values = tuple(int(p) for p in parts)
    except ValueError:
        return None
    if any(abs(v) >= 2**63 for v in values):
        return None
    return values
