"""GraphQL enums: the schema's own classes, each showing one enum of the app under its contract
name, with a description for the enum and for every value.

The app's enums stay plain Python (Strawberry never touches them); resolvers and types convert
at the edge: ``KeyStatus.from_domain(value)`` on the way out, ``member.to_domain()`` on the way
in. Members correspond by name (``DOMAIN``); tests/api/test_enum_conversion.py checks that every
pair is a bijection over all members, so a member added on one side only fails there.
"""
from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType

import strawberry

from app.domain import alerts, audit, catalog, iam, quota, status, ttl, usage, windows
from app.services import errors, keys


class DomainEnum(enum.Enum):
    """Base of the enums below: the GraphQL face of one enum of the app (``DOMAIN``)."""

    @classmethod
    def from_domain(cls, value):
        """The member that shows the app's ``value``."""
        return _FROM_DOMAIN[cls][value]

    def to_domain(self):
        """The app's value this member shows."""
        return _TO_DOMAIN[type(self)][self]


def _value(name: str, description: str):
    return strawberry.enum_value(name, description=description)


@strawberry.enum(name="Plan", description="The organization's plan; it sets how many keys each project may have.")
class Plan(DomainEnum):
    FREE = _value("FREE", "5 keys per project.")
    PRO = _value("PRO", "20 keys per project.")
    ENTERPRISE = _value("ENTERPRISE", "500 keys per project.")


@strawberry.enum(name="KeyStatus", description="Whether a key may be used now (EXPIRED wins over DISABLED).")
class KeyStatus(DomainEnum):
    ACTIVE = _value("ACTIVE", "Enabled and not expired: the gateway accepts it.")
    DISABLED = _value("DISABLED", "Turned off by its owner; enabling it makes it ACTIVE again.")
    EXPIRED = _value("EXPIRED", "Its expiresAt has passed; enabling it needs a new ttl.")


@strawberry.enum(name="KeyFilter",
                 description="ACTIVE: status ACTIVE. INACTIVE: DISABLED or EXPIRED (the page's Inactive tab).")
class KeyFilter(DomainEnum):
    ACTIVE = _value("ACTIVE", "Keys whose status is ACTIVE.")
    INACTIVE = _value("INACTIVE", "Keys whose status is DISABLED or EXPIRED.")
    ALL = _value("ALL", "Every key of the project.")


@strawberry.enum(name="WindowUnit", description="Unit of a recurring limit's window.")
class WindowUnit(DomainEnum):
    HOUR = _value("HOUR", "Hours (1 to 8760).")
    DAY = _value("DAY", "Days (1 to 365).")
    WEEK = _value("WEEK", "Weeks (1 to 52).")
    MONTH = _value("MONTH", "Calendar months in UTC from the anchor, the day clamped to the month's end (1 to 12).")


@strawberry.enum(name="TtlUnit", description="Unit of a key's time to live.")
class TtlUnit(DomainEnum):
    MINUTE = _value("MINUTE", "Minutes.")
    HOUR = _value("HOUR", "Hours.")
    DAY = _value("DAY", "Days (at most 3650 days in any unit).")


@strawberry.enum(name="IamRuleType", description="What an IAM rule matches, and whether it allows or denies.")
class IamRuleType(DomainEnum):
    ALLOW_MODELS = _value("ALLOW_MODELS", "Only these model ids (a trailing * matches a prefix: openai/*).")
    DENY_MODELS = _value("DENY_MODELS", "Never these model ids (a trailing * matches a prefix).")
    ALLOW_PROVIDERS = _value("ALLOW_PROVIDERS", "Only these provider ids.")
    DENY_PROVIDERS = _value("DENY_PROVIDERS", "Never these provider ids.")
    ALLOW_PRICING = _value("ALLOW_PRICING", "Only offers of this pricing (FREE or PAID).")
    DENY_PRICING = _value("DENY_PRICING", "Never offers of this pricing (FREE or PAID).")


@strawberry.enum(name="UsageSource", description="Who paid for a request; both count toward usage and limits.")
class UsageSource(DomainEnum):
    CREDITS = _value("CREDITS", "Paid from the organization's credits (the default).")
    PROVIDER_KEY = _value("PROVIDER_KEY", "Paid with the customer's own provider key.")


@strawberry.enum(name="Pricing", description="Whether an offer costs anything.")
class Pricing(DomainEnum):
    FREE = _value("FREE", "Input and output prices are both 0.")
    PAID = _value("PAID", "Any other offer.")


@strawberry.enum(name="ErrorCode", description="Why a mutation changed nothing.")
class ErrorCode(DomainEnum):
    VALIDATION = _value("VALIDATION", "A value of the input is not acceptable (the error's field says which).")
    NOT_FOUND = _value("NOT_FOUND", "No such object in the caller's organization.")
    KEY_LIMIT_REACHED = _value("KEY_LIMIT_REACHED", "The project has as many keys as the plan allows.")
    TTL_REQUIRED = _value("TTL_REQUIRED", "Enabling an EXPIRED key needs a new ttl.")
    UNKNOWN_MODEL = _value("UNKNOWN_MODEL", "An IAM rule names a model the catalog does not know.")
    UNKNOWN_PROVIDER = _value("UNKNOWN_PROVIDER", "An IAM rule names a provider the catalog does not know.")


@strawberry.enum(name="WebhookEventType", description="What a webhook is told about.")
class WebhookEventType(DomainEnum):
    KEY_USAGE_THRESHOLD = _value(
        "KEY_USAGE_THRESHOLD", "A key's usage first reached one of its alertThresholds of a limit (all-time, or in a window).")
    KEY_LIMIT_REACHED = _value("KEY_LIMIT_REACHED", "A key's usage first reached 100% of a limit (all-time, or in a window).")
    KEY_ROLLED = _value("KEY_ROLLED", "A key got a new secret.")
    KEY_DELETED = _value("KEY_DELETED", "A key was deleted.")


@strawberry.enum(name="AuditAction", description="What an audit event records.")
class AuditAction(DomainEnum):
    PROJECT_CREATED = _value("PROJECT_CREATED", "A project was created.")
    KEY_CREATED = _value("KEY_CREATED", "An API key was created.")
    KEY_RENAMED = _value("KEY_RENAMED", "An API key was renamed.")
    KEY_LIMITS_UPDATED = _value("KEY_LIMITS_UPDATED", "An API key's spend limits changed.")
    KEY_ENABLED = _value("KEY_ENABLED", "An API key was enabled (or given a new expiry).")
    KEY_DISABLED = _value("KEY_DISABLED", "An API key was disabled.")
    KEY_IAM_RULES_UPDATED = _value("KEY_IAM_RULES_UPDATED", "An API key's IAM rules changed.")
    KEY_ROLLED = _value("KEY_ROLLED", "An API key got a new secret.")
    KEY_DELETED = _value("KEY_DELETED", "An API key was deleted.")
    TOKEN_CREATED = _value("TOKEN_CREATED", "A management or gateway token was created.")
    TOKEN_REVOKED = _value("TOKEN_REVOKED", "A token was revoked.")
    PLAN_CHANGED = _value("PLAN_CHANGED", "The organization's plan or key limit changed.")
    WEBHOOK_CREATED = _value("WEBHOOK_CREATED", "A webhook was created.")
    WEBHOOK_UPDATED = _value("WEBHOOK_UPDATED", "A webhook was changed.")
    WEBHOOK_DELETED = _value("WEBHOOK_DELETED", "A webhook was deleted.")


@strawberry.enum(name="ActorKind", description="Who made a change.")
class ActorKind(DomainEnum):
    MANAGEMENT_TOKEN = _value("MANAGEMENT_TOKEN", "A management token, through GraphQL.")
    OPERATOR = _value("OPERATOR", "The operator, through the keyplane CLI.")
    SYSTEM = _value("SYSTEM", "Keyplane itself (the first start's bootstrap).")


DOMAIN: Mapping[type[DomainEnum], Mapping[str, object]] = MappingProxyType({
    Plan: quota.Plan.__members__,
    KeyStatus: status.KeyStatus.__members__,
    KeyFilter: keys.KeyFilter.__members__,
    WindowUnit: windows.WindowUnit.__members__,
    TtlUnit: ttl.TtlUnit.__members__,
    IamRuleType: iam.RuleType.__members__,
    UsageSource: usage.UsageSource.__members__,
    Pricing: MappingProxyType({"FREE": catalog.FREE, "PAID": catalog.PAID}),  # an offer's pricing is a string
    ErrorCode: errors.ErrorCode.__members__,
    WebhookEventType: alerts.EventType.__members__,
    AuditAction: audit.AuditAction.__members__,
    ActorKind: audit.ActorKind.__members__,
})
"""Each GraphQL enum -> the app's values it shows, by member name."""

_TO_DOMAIN: Mapping[type[DomainEnum], Mapping[DomainEnum, object]] = MappingProxyType({
    cls: MappingProxyType({member: values[member.name] for member in cls if member.name in values})
    for cls, values in DOMAIN.items()
})
_FROM_DOMAIN: Mapping[type[DomainEnum], Mapping[object, DomainEnum]] = MappingProxyType({
    cls: MappingProxyType({value: cls[name] for name, value in values.items() if name in cls.__members__})
    for cls, values in DOMAIN.items()
})
