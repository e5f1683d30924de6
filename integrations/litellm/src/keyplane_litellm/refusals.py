"""keyplane's authorize codes as the HTTP statuses a client of an OpenAI-compatible API expects."""
from __future__ import annotations

# code -> (status, OpenAI error type). The contract pins 401 for a key that cannot be used at all
# (unknown, disabled, expired), 403 for an IAM refusal, 429 for a limit.
REFUSALS = {
    "NOT_FOUND": (401, "authentication_error"),
    "DISABLED": (401, "authentication_error"),
    "EXPIRED": (401, "authentication_error"),
    "FORBIDDEN": (403, "permission_error"),
    "USAGE_EXCEEDED": (429, "insufficient_quota"),
    "PERIOD_USAGE_EXCEEDED": (429, "insufficient_quota"),
    # the call id's usage is already recorded: the client replayed an x-litellm-call-id; a conflict
    # to fix on the client's side, not a quota (409, so SDKs do not retry it as a rate limit)
    "DUPLICATE_REQUEST_ID": (409, "invalid_request_error"),
    "LIMIT_OVERFLOW": (429, "insufficient_quota"),
}
# a code this plugin does not know yet still refuses (fail closed), as a permission error
UNKNOWN = (403, "permission_error")


def refusal(code: str) -> tuple[int, str]:
    return REFUSALS.get(code, UNKNOWN)
