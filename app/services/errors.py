"""Expected failures: typed, carried to the adapters, shown to clients as ``errors { code field message }``.

A service raises ``Refused`` before or inside its transaction, so nothing it started is kept;
the adapter catches it and turns it into a payload. Anything else that escapes is a bug and
is masked at the edge.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass


class ErrorCode(str, enum.Enum):
    VALIDATION = "VALIDATION"
    NOT_FOUND = "NOT_FOUND"
    KEY_LIMIT_REACHED = "KEY_LIMIT_REACHED"
    TTL_REQUIRED = "TTL_REQUIRED"
    UNKNOWN_MODEL = "UNKNOWN_MODEL"
    UNKNOWN_PROVIDER = "UNKNOWN_PROVIDER"


@dataclass(frozen=True)
class UserError:
    code: ErrorCode
    field: str | None
    message: str


class Refused(Exception):
    def __init__(self, *errors: UserError) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" if e.field else e.message for e in errors))
        self.errors = list(errors)


def refuse(code: ErrorCode, field: str | None, message: str) -> Refused:
    return Refused(UserError(code, field, message))


def not_found(field: str | None, what: str) -> Refused:
    return refuse(ErrorCode.NOT_FOUND, field, f"{what} not found")


class Problems:
    """Collects every validation problem of one input, so a client sees them all at once."""

    def __init__(self) -> None:
        self.errors: list[UserError] = []

    def add(self, code: ErrorCode, field: str | None, message: str) -> None:
        self.errors.append(UserError(code, field, message))

    def validation(self, field: str | None, message: str) -> None:
        self.add(ErrorCode.VALIDATION, field, message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise Refused(*self.errors)
