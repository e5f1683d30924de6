"""Tortoise models over the tables that app/store/migrations.py creates.

Times are BIGINT microseconds since the epoch (UTC) and money is BIGINT nano-dollars, so
every comparison and sum is exact and identical on SQLite and PostgreSQL. The schema is
owned by the versioned migrations, never by ``generate_schemas``; a test checks that the
models and the migrated tables agree. Tables keyed by a pair (usage_windows, holds,
catalog_offers) and the change feed are only touched by the explicit SQL in app/store/.
"""
from tortoise import fields
from tortoise.models import Model


class Organization(Model):
    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=64, unique=True)
    plan = fields.CharField(max_length=16)
    key_limit_override = fields.IntField(null=True)
    created_at = fields.BigIntField()

    class Meta:
        table = "organizations"


class Project(Model):
    id = fields.BigIntField(primary_key=True)
    org_id = fields.BigIntField()
    name = fields.CharField(max_length=64)
    # names.name_key(name), unique per organization; null for projects that shared a name
    # with an older one before names had to be unique (migration 3)
    name_key = fields.TextField(null=True)
    key_count = fields.IntField(default=0)
    created_at = fields.BigIntField()

    class Meta:
        table = "projects"


class Token(Model):
    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=16)
    org_id = fields.BigIntField(null=True)
    label = fields.CharField(max_length=64, default="")
    token_hash = fields.CharField(max_length=64, unique=True)
    hint = fields.CharField(max_length=32)
    created_at = fields.BigIntField()
    last_used_at = fields.BigIntField(null=True)
    revoked_at = fields.BigIntField(null=True)

    class Meta:
        table = "tokens"


class ApiKey(Model):
    id = fields.BigIntField(primary_key=True)
    project_id = fields.BigIntField()
    org_id = fields.BigIntField()
    name = fields.CharField(max_length=64)
    key_hash = fields.CharField(max_length=64, unique=True)
    masked_key = fields.CharField(max_length=32)
    enabled = fields.BooleanField()
    expires_at = fields.BigIntField(null=True)
    created_at = fields.BigIntField()
    last_used_at = fields.BigIntField(null=True)
    all_time_limit = fields.BigIntField(null=True)
    recurring_amount = fields.BigIntField(null=True)
    recurring_value = fields.IntField(null=True)
    recurring_unit = fields.CharField(max_length=8, null=True)
    recurring_anchor = fields.BigIntField(null=True)
    usage = fields.BigIntField(default=0)
    previous_key_hash = fields.CharField(max_length=64, null=True, unique=True)
    previous_key_expires_at = fields.BigIntField(null=True)

    class Meta:
        table = "api_keys"


class IamRule(Model):
    id = fields.BigIntField(primary_key=True)
    key_id = fields.BigIntField()
    position = fields.IntField()
    type = fields.CharField(max_length=16)
    rule_values = fields.TextField()  # JSON array of strings

    class Meta:
        table = "iam_rules"



class UsageRecord(Model):
    id = fields.BigIntField(primary_key=True)
    key_id = fields.BigIntField()
    request_id = fields.CharField(max_length=128)
    occurred_at = fields.BigIntField()
    recorded_at = fields.BigIntField()
    model = fields.CharField(max_length=200, null=True)
    provider = fields.CharField(max_length=200, null=True)
    cost = fields.BigIntField()
    source = fields.CharField(max_length=16)

    class Meta:
        table = "usage_records"


class AuditEvent(Model):
    id = fields.BigIntField(primary_key=True)
    org_id = fields.BigIntField(null=True)
    occurred_at = fields.BigIntField()
    action = fields.CharField(max_length=32)
    actor_kind = fields.CharField(max_length=24)
    actor_token_id = fields.BigIntField(null=True)
    actor_label = fields.CharField(max_length=64, null=True)
    target_id = fields.CharField(max_length=64, null=True)
    project_id = fields.BigIntField(null=True)
    changes = fields.TextField()  # JSON array of {"field", "before", "after"}

    class Meta:
        table = "audit_events"
