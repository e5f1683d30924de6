"""Mutation payloads: the result (null on failure) and the typed errors."""
from __future__ import annotations

import strawberry

from schema.errors import UserError
from schema.types import ApiKey, Project


@strawberry.type
class ProjectPayload:
    project: Project | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class CreateApiKeyPayload:
    api_key: ApiKey | None = None
    secret: str | None = strawberry.field(default=None, description="the full key: here, and nowhere else, ever")
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ApiKeyPayload:
    api_key: ApiKey | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteApiKeyPayload:
    deleted_id: strawberry.ID | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
