"""Query root: thin resolvers that call the services with the caller's tenant."""
from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types import Info

from app.domain import ids
from app.services import audit, iam, keys, projects, usage, webhooks
from schema.audit import AuditEvent
from schema.webhooks import Webhook
from schema.relay import Node
from schema.types.catalog import CatalogModel, ModelOffer
from schema.types.keys import ApiKey, IamRule
from schema.types.projects import Organization, Project, organization_of
from schema.types.usage import UsageRecord


async def _node(info: Info, global_id: str) -> Node | None:
    decoded = ids.decode(global_id)
    if decoded is None:
        return None
    type_name, pk = decoded
    context = info.context
    if type_name == "ApiKey":
        row = await keys.get_key(context.tenant, pk)
        return None if row is None else ApiKey.of(row, context.now_us)
    if type_name == "Project":
        row = await projects.get_project(context.tenant, pk)
        return None if row is None else Project.of(row, context)
    if type_name == "Organization" and pk == context.tenant.org_id:
        return organization_of(context.org)
    if type_name == "IamRule":
        rule = await iam.get_rule(context.tenant, pk)
        return None if rule is None else IamRule.of(rule)
    if type_name == "UsageRecord":
        record = await usage.get_record(context.tenant, pk)
        return None if record is None else UsageRecord.of(record)
    if type_name == "AuditEvent":
        row = await audit.get_event(context.tenant, pk)
        return None if row is None else AuditEvent.of(row)
    if type_name == "Webhook":
        hook = await webhooks.get_webhook(context.tenant, pk)
        return None if hook is None else Webhook.of(hook)
    return None


@strawberry.type(description="What a management token may read: its own organization's objects only.")
class Query:
    @strawberry.field(description="The caller's organization.")
    def organization(self, info: Info) -> Organization:
        return organization_of(info.context.org)

    @strawberry.field(description="A project of the caller's organization; null when there is none with this id.")
    async def project(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The project's global id.")]) -> Project | None:
        row = await projects.get_project(info.context.tenant, ids.decode_as("Project", id))
        return None if row is None else Project.of(row, info.context)

    @strawberry.field(description="A key of the caller's organization; null when there is none with this id.")
    async def api_key(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The key's global id.")]) -> ApiKey | None:
        row = await keys.get_key(info.context.tenant, ids.decode_as("ApiKey", id))
        return None if row is None else ApiKey.of(row, info.context.now_us)

    @strawberry.field(description="Any object of the caller's organization by its global id (Relay); null when there is none.")
    async def node(self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="A global id.")]) -> Node | None:
        return await _node(info, id)

    @strawberry.field(description="The model catalog the gateway serves.")
    async def models(self, info: Info) -> list[CatalogModel]:
        current = await info.context.catalogs.current()
        return [CatalogModel(id=model, offers=[ModelOffer.of(o) for o in current.offers_of(model)]) for model in current.models()]

    @strawberry.field(description="Every provider of the catalog.")
    async def providers(self, info: Info) -> list[str]:
        return (await info.context.catalogs.current()).providers()
