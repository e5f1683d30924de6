"""Webhooks as GraphQL types: a project's webhooks, their delivery log, and the inputs and payloads
of their mutations."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from app import models
from app.domain import ids
from app.domain.alerts import EventType
from app.domain.timeconv import from_micros, optional_from_micros
from app.domain.webhooks import events_from_text
from app.services import webhooks as webhook_service
from schema.enums import WebhookEventType
from schema.errors import UserError, query_guard
from schema.relay import Node, PageInfo

ERRORS = "Why nothing changed; empty on success."

@strawberry.type(description="One event sent (or to be sent) to a webhook, with its attempts so far.")
class WebhookDelivery:
    id: strawberry.ID = strawberry.field(description="The delivery's global id (resendWebhookDelivery takes it).")
    event_id: str = strawberry.field(description="The webhook-id header: the same on every attempt (receivers deduplicate by it).")
    event_type: WebhookEventType = strawberry.field(description="What the event tells.")
    created_at: datetime = strawberry.field(description="When the event happened.")
    attempts: int = strawberry.field(description="How many times it was sent so far.")
    last_status: int | None = strawberry.field(description="The HTTP status of the last attempt; null: none, or no answer.")
    last_error: str | None = strawberry.field(description="Why the last attempt failed; null when it did not.")
    delivered_at: datetime | None = strawberry.field(description="When a receiver answered 2xx; null: not (yet) delivered.")
    next_attempt_at: datetime | None = strawberry.field(
        description="When it is sent next; null when delivered, or given up (retries stop 3 days after the event).")
    body: str = strawberry.field(description="The JSON body that is sent.")

    @classmethod
    def of(cls, row: models.WebhookDelivery) -> "WebhookDelivery":
        return cls(
            id=strawberry.ID(ids.encode("WebhookDelivery", row.id)),
            event_id=row.event_id,
            event_type=WebhookEventType.from_domain(EventType(row.event_type)),
            created_at=from_micros(row.created_at),
            attempts=row.attempts,
            last_status=row.last_status,
            last_error=row.last_error,
            delivered_at=optional_from_micros(row.delivered_at),
            next_attempt_at=None if row.delivered_at is not None else optional_from_micros(row.next_attempt_at),
            body=row.body,
        )


@strawberry.type(description="A delivery in a page, with its cursor.")
class WebhookDeliveryEdge:
    cursor: str = strawberry.field(description="Pass it as after to get the deliveries after this one.")
    node: WebhookDelivery = strawberry.field(description="The delivery.")


@strawberry.type(description="A page of a webhook's deliveries, newest first (Relay).")
class WebhookDeliveryConnection:
    edges: list[WebhookDeliveryEdge] = strawberry.field(description="The page's deliveries.")
    page_info: PageInfo = strawberry.field(description="Where the page lies.")


@strawberry.type(description="A URL of a project that keyplane POSTs signed events to (Standard Webhooks).")
class Webhook(Node):
    id: strawberry.ID = strawberry.field(description="The webhook's global id.")
    url: str = strawberry.field(description="Where events are POSTed: https://, or http:// to a private address when allowed.")
    events: list[WebhookEventType] = strawberry.field(description="The event types it is sent.")
    enabled: bool = strawberry.field(description="False: nothing is sent to it.")
    description: str | None = strawberry.field(description="What it is for, for humans.")
    created_at: datetime = strawberry.field(description="When it was created.")
    row: strawberry.Private[models.Webhook]

    @classmethod
    def of(cls, row: models.Webhook) -> "Webhook":
        return cls(
            id=strawberry.ID(ids.encode("Webhook", row.id)),
            url=row.url,
            events=sorted((WebhookEventType.from_domain(e) for e in events_from_text(row.events)), key=lambda e: e.name),
            enabled=bool(row.enabled),
            description=row.description,
            created_at=from_micros(row.created_at),
            row=row,
        )

    @strawberry.field(description="What was sent to this webhook, newest first.")
    async def deliveries(
        self,
        first: Annotated[int | None, strawberry.argument(description="How many deliveries per page (at most 100).")] = 20,
        after: Annotated[str | None, strawberry.argument(description="The endCursor of the previous page.")] = None,
    ) -> WebhookDeliveryConnection:
        with query_guard():
            page = await webhook_service.deliveries_page(self.row.id, first, after)
        return WebhookDeliveryConnection(
            edges=[WebhookDeliveryEdge(cursor=c, node=WebhookDelivery.of(r)) for c, r in zip(page.cursors, page.items)],
            page_info=PageInfo.of(page),
        )


async def webhooks_of_project(info: Info, project_id: int) -> list[Webhook]:
    return [Webhook.of(row) for row in await info.context.loaders.webhooks.load(project_id)]


@strawberry.input(description="A new webhook of a project.")
class CreateWebhookInput:
    project_id: strawberry.ID = strawberry.field(description="The project whose keys' events are sent.")
    url: str = strawberry.field(description="Where to POST events: https://… (http:// only to a private address, when KEYPLANE_WEBHOOK_ALLOW_PRIVATE is on).")
    events: list[WebhookEventType] = strawberry.field(description="The event types to send; at least one.")
    description: str | None = strawberry.field(default=None, description="What it is for: at most 200 characters.")


@strawberry.input(description="A field left out stays as it is.")
class UpdateWebhookInput:
    id: strawberry.ID = strawberry.field(description="The webhook's global id.")
    url: str | None = strawberry.field(default=None, description="The new URL.")
    events: list[WebhookEventType] | None = strawberry.field(default=None, description="The new event types; at least one.")
    enabled: bool | None = strawberry.field(default=None, description="False stops every delivery to it.")
    description: strawberry.Maybe[str | None] = strawberry.field(description="The new description; null removes it.")


@strawberry.input(description="The webhook to delete.")
class DeleteWebhookInput:
    id: strawberry.ID = strawberry.field(description="The webhook's global id.")


@strawberry.input(description="The delivery to send again.")
class ResendWebhookDeliveryInput:
    id: strawberry.ID = strawberry.field(description="The delivery's global id.")


@strawberry.type(description="The new webhook and its signing secret (shown here once), or the errors.")
class CreateWebhookPayload:
    webhook: Webhook | None = strawberry.field(default=None, description="The new webhook; null on failure.")
    secret: str | None = strawberry.field(
        default=None, description="The signing secret (whsec_…) that verifies every delivery's webhook-signature; here, and nowhere else, ever.")
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="The outcome of a change to a webhook.")
class WebhookPayload:
    webhook: Webhook | None = strawberry.field(default=None, description="The webhook as changed; null on failure.")
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="The outcome of deleteWebhook.")
class DeleteWebhookPayload:
    deleted_id: strawberry.ID | None = strawberry.field(default=None, description="The deleted webhook's global id; null on failure.")
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="The outcome of resendWebhookDelivery.")
class WebhookDeliveryPayload:
    delivery: WebhookDelivery | None = strawberry.field(default=None, description="The delivery, due again now; null on failure.")
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)
