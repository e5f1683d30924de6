"""Projects of an organization; every read is scoped to the caller's organization."""
from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app import models
from app.domain import names
from app.domain.audit import Actor, AuditAction, diff
from app.domain.ids import encode
from app.domain.timeconv import to_micros
from app.services.audit import actor_of
from app.services.callers import Tenant
from app.services.errors import ErrorCode, refuse
from app.store import audit

MAX_PROJECTS_PER_ORG = 1000


async def create_project(tenant: Tenant, clock, name: str, actor: Actor | None = None) -> models.Project:
    """A project of the tenant's own organization (there is no other way to name one). ``actor``: who
    the audit log names (default: the tenant's token; bootstrap passes SYSTEM)."""
    try:
        clean = names.clean_name(name)
    except names.NameError_ as exc:
        raise refuse(ErrorCode.VALIDATION, "name", f"name {exc}") from None
    owner = tenant.org_id
    existing = await models.Project.filter(org_id=owner).values_list("name", flat=True)
    if len(existing) >= MAX_PROJECTS_PER_ORG:
        raise refuse(ErrorCode.VALIDATION, None, f"an organization may have at most {MAX_PROJECTS_PER_ORG} projects")
    key = names.name_key(clean)
    if any(names.name_key(other) == key for other in existing):
        raise _name_taken(clean)
    now_us = to_micros(clock.now())
    try:
        async with in_transaction() as tx:
            project = await models.Project.create(using_db=tx, org_id=owner, name=clean, name_key=key, created_at=now_us)
            await audit.record(tx, org_id=owner, actor=actor or actor_of(tenant), action=AuditAction.PROJECT_CREATED,
                               target_id=encode("Project", project.id), project_id=project.id,
                               changes=diff(None, {"name": clean}), now_us=now_us)
    except IntegrityError:  # a concurrent create of the same name won (the unique index projects_org_name_key)
        raise _name_taken(clean) from None
    return project


def _name_taken(name: str):
    return refuse(ErrorCode.VALIDATION, "name",
                  f"name is already used by another project of this organization: {name!r} (names are compared ignoring case)")


async def get_project(tenant: Tenant, project_id: int | None) -> models.Project | None:
    if project_id is None:
        return None
    return await models.Project.get_or_none(id=project_id, org_id=tenant.org_id)


async def projects_of(org_id: int) -> list[models.Project]:
    return await models.Project.filter(org_id=org_id).order_by("id")


async def projects_by_ids(org_id: int, project_ids: list[int]) -> dict[int, models.Project]:
    rows = await models.Project.filter(org_id=org_id, id__in=project_ids)
    return {row.id: row for row in rows}
