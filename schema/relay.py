"""Relay's building blocks, shared by every aggregate's types: the Node interface, PageInfo, and
the descriptions of the paging arguments."""
from __future__ import annotations

import strawberry

from app.services.paging import Page

FIRST_ARGUMENT = "How many items per page: at most 100 (more is capped); not negative."
AFTER_ARGUMENT = "The endCursor of the previous page; absent: the first page."


@strawberry.interface(description="An object with a global id (Relay).")
class Node:
    id: strawberry.ID = strawberry.field(description="The global id, opaque; node(id:) finds the object by it.")


@strawberry.type(description="Where a page of a connection lies (Relay).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="True when more items follow this page.")
    has_previous_page: bool = strawberry.field(description="True when this page was asked for with after.")
    start_cursor: str | None = strawberry.field(description="The cursor of the page's first item; null on an empty page.")
    end_cursor: str | None = strawberry.field(
        description="The cursor of the page's last item (pass it as after for the next page); null on an empty page."
    )

    @classmethod
    def of(cls, page: Page) -> "PageInfo":
        return cls(
            has_next_page=page.has_next,
            has_previous_page=page.has_previous,
            start_cursor=page.cursors[0] if page.cursors else None,
            end_cursor=page.cursors[-1] if page.cursors else None,
        )
