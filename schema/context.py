"""The typed per-request context: who calls, the clock, "now" fixed for the request, the app's
catalog cache, and one set of DataLoaders (so a page of keys with every field costs a constant number of queries). The
project loader hands out GraphQL Projects (their key limit is the request's organization's): a
key's project field gets its project here without schema/types/keys.py importing projects.py."""
from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import Response
from strawberry.dataloader import DataLoader

from app import models
from app.clock import Clock
from app.domain import iam as iam_domain
from app.domain.timeconv import to_micros
from app.services import orgs, projects, webhooks
from app.services.catalog import CatalogCache
from app.services.webhook_targets import Resolver, system_resolver
from app.services.callers import Tenant
from app.settings import Settings
from app.store import iam_rules, usage_windows
from schema.types.projects import Project


class Loaders:
    def __init__(self, context: "Context") -> None:
        tenant = context.tenant

        async def load_projects(project_ids: list[int]) -> list[Project | None]:
            found = await projects.projects_by_ids(tenant.org_id, list(project_ids))
            rows = [found.get(pk) for pk in project_ids]
            return [None if row is None else Project.of(row, context) for row in rows]

        async def load_rules(key_ids: list[int]) -> list[list[iam_domain.Rule]]:
            found = await iam_rules.rules_for_keys(list(key_ids))
            return [found[pk] for pk in key_ids]

        async def load_window_usage(pairs: list[tuple[int, int]]) -> list[int]:
            found = await usage_windows.window_usage_many(list(pairs))
            return [found[pair] for pair in pairs]

        async def load_webhooks(project_ids: list[int]) -> list[list[models.Webhook]]:
            found = await webhooks.webhooks_of_projects(tenant.org_id, list(project_ids))
            return [found[pk] for pk in project_ids]

        self.project = DataLoader(load_fn=load_projects)
        self.webhooks = DataLoader(load_fn=load_webhooks)
        self.rules = DataLoader(load_fn=load_rules)
        self.window_usage = DataLoader(load_fn=load_window_usage)


@dataclass
class Context:
    request: Request
    response: Response
    tenant: Tenant
    clock: Clock
    settings: Settings
    catalogs: CatalogCache  # the app's, shared by every request
    now_us: int = 0
    org: models.Organization | None = None
    resolver: Resolver = system_resolver  # how webhook URLs' hosts are resolved (tests: no DNS)
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.now_us = to_micros(self.clock.now())
        self.loaders = Loaders(self)

    def key_limit(self) -> int | None:
        return orgs.org_key_limit(self.org)
