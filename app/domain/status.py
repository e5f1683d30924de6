"""A key's status: EXPIRED when its expiry has passed (whatever else holds), else DISABLED, else ACTIVE."""
from __future__ import annotations

import enum


class KeyStatus(str, enum.Enum):
    ACTIVE = "ACTIVE"
    DISABLED = "DISABLED"
    EXPIRED = "EXPIRED"


def key_status(enabled: bool, expires_at_us: int | None, now_us: int) -> KeyStatus:
    if expires_at_us is not None and expires_at_us <= now_us:
        return KeyStatus.EXPIRED
    if not enabled:
        return KeyStatus.DISABLED
    return KeyStatus.ACTIVE
