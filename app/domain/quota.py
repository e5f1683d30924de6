"""Plan quota: how many keys a project may hold."""
from __future__ import annotations

import enum


class Plan(str, enum.Enum):
    FREE = "FREE"
    PRO = "PRO"
    ENTERPRISE = "ENTERPRISE"


PLAN_KEY_LIMITS = {Plan.FREE: 5, Plan.PRO: 20, Plan.ENTERPRISE: 500}


def key_limit(plan: Plan | str, override: int | None) -> int | None:
    """The per-project key limit: the operator's override when set, else the plan's default."""
    if override is not None:
        return override
    return PLAN_KEY_LIMITS[Plan(plan)]


def can_create(key_count: int, limit: int | None) -> bool:
    return limit is None or key_count < limit
