"""Who is calling: a tenant (management token of one organization) or the gateway."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tenant:
    org_id: int
    token_id: int
    label: str | None = None  # the token's label, for the audit log


@dataclass(frozen=True)
class Gateway:
    token_id: int


Caller = Tenant | Gateway
