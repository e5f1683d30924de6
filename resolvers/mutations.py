"""Mutation root: one resolver per concern; each turns its input into a service call and the
outcome into a payload. Expected failures come back in ``errors``, never raised."""
from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from app.domain import ids
from app.services import iam, keys, limits, projects, webhooks
from schema.errors import refusals_in_payload
from schema.inputs import (
    CreateApiKeyInput,
    CreateProjectInput,
    DeleteApiKeyInput,
    RenameApiKeyInput,
    RollApiKeyInput,
    SetApiKeyEnabledInput,
    SetApiKeyIamRulesInput,
    UpdateApiKeyLimitsInput,
    rules_as_tuples,
)
from schema.payloads import ApiKeyPayload, CreateApiKeyPayload, DeleteApiKeyPayload, ProjectPayload, RollApiKeyPayload
from schema.types.keys import ApiKey
from schema.types.projects import Project
from schema.webhooks import (CreateWebhookInput, CreateWebhookPayload, DeleteWebhookInput, DeleteWebhookPayload,
                             ResendWebhookDeliveryInput, UpdateWebhookInput, Webhook, WebhookDelivery,
                             WebhookDeliveryPayload, WebhookPayload)


INPUT = strawberry.argument(description="What to change.")


def _key_id(global_id: str) -> int | None:
    return ids.decode_as("ApiKey", global_id)


@strawberry.type(description="Changes to the caller's organization. Expected failures come back in errors, with nothing changed.")
class Mutation:
    @strawberry.mutation(description="Creates a project in the caller's organization.")
    @refusals_in_payload
    async def create_project(self, info: Info, input: Annotated[CreateProjectInput, INPUT]) -> ProjectPayload:
        context = info.context
        row = await projects.create_project(context.tenant, context.clock, input.name)
        return ProjectPayload(project=Project.of(row, context))

    @strawberry.mutation(description="Creates a key; its secret is in this payload and nowhere else, ever.")
    @refusals_in_payload
    async def create_api_key(self, info: Info, input: Annotated[CreateApiKeyInput, INPUT]) -> CreateApiKeyPayload:
        context = info.context
        created = await keys.create_key(
            context.tenant,
            context.clock,
            context.catalogs,
            project_id=ids.decode_as("Project", input.project_id),
            name=input.name,
            ttl_input=input.ttl.as_tuple() if input.ttl else None,
            all_time_limit=input.all_time_limit,
            recurring_limit=input.recurring_limit.as_tuple() if input.recurring_limit else None,
            iam_rules=rules_as_tuples(input.iam_rules),
            alert_thresholds=input.alert_thresholds,
        )
        return CreateApiKeyPayload(api_key=ApiKey.of(created.key, context.now_us), secret=created.secret)

    @strawberry.mutation(description="Sets or removes a key's all-time and recurring limits.")
    @refusals_in_payload
    async def update_api_key_limits(self, info: Info, input: Annotated[UpdateApiKeyLimitsInput, INPUT]) -> ApiKeyPayload:
        context = info.context
        all_time = limits.UNCHANGED if input.all_time_limit is None else input.all_time_limit.value
        recurring = limits.UNCHANGED
        if input.recurring_limit is not None:
            value = input.recurring_limit.value
            recurring = None if value is None else value.as_tuple()
        thresholds = limits.UNCHANGED if input.alert_thresholds is None else input.alert_thresholds.value
        row = await limits.update_limits(context.tenant, context.clock, _key_id(input.id), all_time, recurring, thresholds)
        return ApiKeyPayload(api_key=ApiKey.of(row, context.now_us))

    @strawberry.mutation(description="Disables or enables a key (an EXPIRED key needs a new ttl).")
    @refusals_in_payload
    async def set_api_key_enabled(self, info: Info, input: Annotated[SetApiKeyEnabledInput, INPUT]) -> ApiKeyPayload:
        context = info.context
        row = await keys.set_enabled(
            context.tenant, context.clock, _key_id(input.id), input.enabled, input.ttl.as_tuple() if input.ttl else None
        )
        return ApiKeyPayload(api_key=ApiKey.of(row, context.now_us))

    @strawberry.mutation(description="Renames a key.")
    @refusals_in_payload
    async def rename_api_key(self, info: Info, input: Annotated[RenameApiKeyInput, INPUT]) -> ApiKeyPayload:
        context = info.context
        row = await keys.rename_key(context.tenant, context.clock, _key_id(input.id), input.name)
        return ApiKeyPayload(api_key=ApiKey.of(row, context.now_us))

    @strawberry.mutation(description="Replaces the key's whole rule set; an empty list removes every rule.")
    @refusals_in_payload
    async def set_api_key_iam_rules(self, info: Info, input: Annotated[SetApiKeyIamRulesInput, INPUT]) -> ApiKeyPayload:
        context = info.context
        row = await iam.set_rules(context.tenant, context.clock, context.catalogs, _key_id(input.id),
                                  rules_as_tuples(input.rules))
        return ApiKeyPayload(api_key=ApiKey.of(row, context.now_us))

    @strawberry.mutation(description="Deletes a key permanently; its secret is rejected from then on.")
    @refusals_in_payload
    async def delete_api_key(self, info: Info, input: Annotated[DeleteApiKeyInput, INPUT]) -> DeleteApiKeyPayload:
        context = info.context
        deleted = await keys.delete_key(context.tenant, context.clock, _key_id(input.id))
        return DeleteApiKeyPayload(deleted_id=strawberry.ID(ids.encode("ApiKey", deleted)))

    @strawberry.mutation(description="Gives a key a new secret; the previous one works until the grace period ends.")
    @refusals_in_payload
    async def roll_api_key(
        self, info: Info, input: Annotated[RollApiKeyInput, strawberry.argument(description="The key and the grace period.")]
    ) -> RollApiKeyPayload:
        context = info.context
        grace = input.grace_period.as_tuple() if input.grace_period else None
        rolled = await keys.roll_key(context.tenant, context.clock, _key_id(input.id), grace)
        return RollApiKeyPayload(api_key=ApiKey.of(rolled.key, context.now_us), secret=rolled.secret)

    @strawberry.mutation(description="Creates a webhook of a project; its signing secret is in this payload and nowhere else.")
    @refusals_in_payload
    async def create_webhook(self, info: Info, input: Annotated[CreateWebhookInput, INPUT]) -> CreateWebhookPayload:
        context = info.context
        created = await webhooks.create_webhook(
            context.tenant, context.clock, context.settings, context.resolver, ids.decode_as("Project", input.project_id),
            input.url, [e.to_domain() for e in input.events], input.description,
        )
        return CreateWebhookPayload(webhook=Webhook.of(created.webhook), secret=created.secret)

    @strawberry.mutation(description="Changes a webhook's URL, events, description, or turns it off and on.")
    @refusals_in_payload
    async def update_webhook(self, info: Info, input: Annotated[UpdateWebhookInput, INPUT]) -> WebhookPayload:
        context = info.context
        changes: dict = {}
        if input.url is not None:
            changes["url"] = input.url
        if input.events is not None:
            changes["events"] = [e.to_domain() for e in input.events]
        if input.enabled is not None:
            changes["enabled"] = input.enabled
        if input.description is not None:
            changes["description"] = input.description.value
        row = await webhooks.update_webhook(context.tenant, context.clock, context.settings, context.resolver,
                                            ids.decode_as("Webhook", input.id), **changes)
        return WebhookPayload(webhook=Webhook.of(row))

    @strawberry.mutation(description="Deletes a webhook and its delivery log; nothing more is sent to it.")
    @refusals_in_payload
    async def delete_webhook(self, info: Info, input: Annotated[DeleteWebhookInput, INPUT]) -> DeleteWebhookPayload:
        context = info.context
        deleted = await webhooks.delete_webhook(context.tenant, context.clock, ids.decode_as("Webhook", input.id))
        return DeleteWebhookPayload(deleted_id=strawberry.ID(ids.encode("Webhook", deleted)))

    @strawberry.mutation(description="Sends a delivery again now, with the same event id.")
    @refusals_in_payload
    async def resend_webhook_delivery(
        self, info: Info, input: Annotated[ResendWebhookDeliveryInput, INPUT]
    ) -> WebhookDeliveryPayload:
        context = info.context
        row = await webhooks.resend_delivery(context.tenant, context.clock, ids.decode_as("WebhookDelivery", input.id))
        return WebhookDeliveryPayload(delivery=WebhookDelivery.of(row))
