"""The one authorize decision: pure, so every rule of the data plane lives here once.

Order of checks: the key (NOT_FOUND), its status (EXPIRED over DISABLED, as the status is
shown everywhere), the request id (DUPLICATE_REQUEST_ID once its usage is recorded), IAM
rules (FORBIDDEN), then, unless the request id already holds budget, the all-time limit
(USAGE_EXCEEDED) and the current window (PERIOD_USAGE_EXCEEDED).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from app.domain import iam
from app.domain.catalog import Catalog
from app.domain.money import format_nanos
from app.domain.status import KeyStatus, key_status

VALID = "VALID"
NOT_FOUND = "NOT_FOUND"
DISABLED = "DISABLED"
EXPIRED = "EXPIRED"
FORBIDDEN = "FORBIDDEN"
USAGE_EXCEEDED = "USAGE_EXCEEDED"
PERIOD_USAGE_EXCEEDED = "PERIOD_USAGE_EXCEEDED"
DUPLICATE_REQUEST_ID = "DUPLICATE_REQUEST_ID"


class RequestState(enum.Enum):
    """What the store knows of the request's ``requestId``."""

    NEW = "new"          # no request id, or one not seen yet
    HELD = "held"        # an open hold already counts its estimate: a retry must not count it twice
    SETTLED = "settled"  # its usage is recorded: authorizing it again would be a request never billed


@dataclass(frozen=True)
class KeySnapshot:
    """What the data plane knows of a key: everything but its counters."""

    key_id: int
    project_id: int
    enabled: bool
    expires_at: int | None
    all_time_limit: int | None
    recurring_amount: int | None
    rules: tuple[iam.Rule, ...]


@dataclass(frozen=True)
class Counters:
    """Usage and open holds, all-time and in the current window (nanos)."""

    usage: int = 0
    held: int = 0
    window_usage: int = 0
    window_held: int = 0


@dataclass(frozen=True)
class Request:
    model: str
    provider: str | None = None
    estimated_cost: int | None = None  # nanos; None: a soft check, nothing held


@dataclass(frozen=True)
class Decision:
    allowed: bool
    code: str
    message: str
    rule_id: str | None = None
    allowed_providers: tuple[str, ...] | None = None


def within_limit(used: int, held: int, estimate: int | None, limit: int) -> bool:
    """Usage plus open holds must be below the limit; with an estimate, adding it must not pass the limit."""
    committed = used + held
    if committed >= limit:
        return False
    return estimate is None or committed + estimate <= limit


def remaining(limit: int, used: int) -> int:
    """What is left of a limit, never below zero (usage may pass a limit: costs are reported after the fact)."""
    return max(0, limit - used)


def _refusal(what: str, limit: int, used: int, held: int, estimate: int | None, remedy: str) -> str:
    spent = f"used {format_nanos(used)}" + (f", held for requests in flight {format_nanos(held)}" if held else "")
    if used + held >= limit:
        return f"{what} of {format_nanos(limit)} reached ({spent}): {remedy}"
    return (f"the estimated cost {format_nanos(estimate or 0)} does not fit in the {what} of {format_nanos(limit)}"
            f" ({spent}): {remedy}")


def decide(snapshot: KeySnapshot | None, counters: Counters, request: Request, catalog: Catalog, now_us: int,
           rules_verdict: iam.IamDecision | None = None, state: RequestState = RequestState.NEW) -> Decision:
    """``rules_verdict``: the IAM verdict for this request when the caller already has it (the
    data plane memoizes it per key and catalog); otherwise it is evaluated here. ``state``: what
    is known of the request id (NEW when there is none)."""
    if snapshot is None:
        return Decision(False, NOT_FOUND, "unknown or deleted API key")
    status = key_status(snapshot.enabled, snapshot.expires_at, now_us)
    if status is KeyStatus.EXPIRED:
        return Decision(False, EXPIRED, "this API key has expired: reactivate it with a new TTL")
    if status is KeyStatus.DISABLED:
        return Decision(False, DISABLED, "this API key is disabled: enable it to use it again")
    if state is RequestState.SETTLED:
        return Decision(False, DUPLICATE_REQUEST_ID,
                        "this requestId's usage is already recorded: send a new requestId for a new request")
    verdict = rules_verdict or iam.evaluate(snapshot.rules, catalog, request.model, request.provider)
    if not verdict.allowed:
        return Decision(False, FORBIDDEN, verdict.message, rule_id=verdict.rule_id,
                        allowed_providers=verdict.allowed_providers)
    providers = verdict.allowed_providers
    if state is RequestState.HELD:
        # its estimate is already counted in the limits: a retry gets the same answer, held once
        return Decision(True, VALID, "already authorized: its estimate is held once", allowed_providers=providers)
    if snapshot.all_time_limit is not None and not within_limit(
        counters.usage, counters.held, request.estimated_cost, snapshot.all_time_limit
    ):
        return Decision(
            False, USAGE_EXCEEDED,
            _refusal("all-time limit", snapshot.all_time_limit, counters.usage, counters.held, request.estimated_cost,
                     "raise or remove the key's all-time limit"),
            allowed_providers=providers,
        )
    if snapshot.recurring_amount is not None and not within_limit(
        counters.window_usage, counters.window_held, request.estimated_cost, snapshot.recurring_amount
    ):
        return Decision(
            False, PERIOD_USAGE_EXCEEDED,
            _refusal("recurring limit", snapshot.recurring_amount, counters.window_usage, counters.window_held,
                     request.estimated_cost, "wait for the next window or raise the key's recurring limit"),
            allowed_providers=providers,
        )
    return Decision(True, VALID, "ok", allowed_providers=providers)
