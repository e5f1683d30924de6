"""Connection paging arguments, shared by every connection: ``first`` capped at 100."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from app.domain.cursors import decode_cursor
from app.services.errors import ErrorCode, refuse

MAX_PAGE = 100
T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    cursors: list[str]
    has_next: bool
    has_previous: bool


def page_size(first: int | None, default: int = 50) -> int:
    if first is None:
        return default
    if first < 0:
        raise refuse(ErrorCode.VALIDATION, "first", "first must not be negative")
    return min(first, MAX_PAGE)


def after_position(kind: str, after: str | None, arity: int) -> tuple[int, ...] | None:
    if after is None:
        return None
    position = decode_cursor(kind, after, arity)
    if position is None:
        raise refuse(ErrorCode.VALIDATION, "after", "after is not a valid cursor")
    return position
