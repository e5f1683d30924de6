"""Mutation payloads: the result (null on failure) and the typed errors."""
from __future__ import annotations

import strawberry

from schema.errors import UserError
from schema.types.keys import ApiKey
from schema.types.projects import Project

ERRORS = "Why nothing changed; empty on success."


@strawberry.type(description="The outcome of createProject.")
class ProjectPayload:
    project: Project | None = strawberry.field(default=None, description="The new project; null on failure.")
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="The outcome of createApiKey.")
class CreateApiKeyPayload:
    api_key: ApiKey | None = strawberry.field(default=None, description="The new key; null on failure.")
    secret: str | None = strawberry.field(default=None, description="The full key: here, and nowhere else, ever")
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="The outcome of a change to a key.")
class ApiKeyPayload:
    api_key: ApiKey | None = strawberry.field(default=None, description="The key as changed; null on failure.")
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="The outcome of deleteApiKey.")
class DeleteApiKeyPayload:
    deleted_id: strawberry.ID | None = strawberry.field(default=None, description="The deleted key's global id; null on failure.")
    errors: list[UserError] = strawberry.field(default_factory=list, description=ERRORS)


@strawberry.type(description="The rolled key and its new secret (shown here once), or the errors.")
class RollApiKeyPayload:
    api_key: ApiKey | None = strawberry.field(default=None, description="The key, with its new masked key.")
    secret: str | None = strawberry.field(default=None, description="The new full key: here, and nowhere else, ever.")
    errors: list[UserError] = strawberry.field(default_factory=list, description="Why nothing changed; empty on success.")
