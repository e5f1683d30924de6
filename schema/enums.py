"""GraphQL enums, each the domain's own enum exposed under its contract name, with a
description for the enum and for every value."""
import enum

import strawberry

from app.domain.iam import RuleType
from app.domain.quota import Plan as PlanEnum
from app.domain.status import KeyStatus as KeyStatusEnum
from app.domain.usage import UsageSource as UsageSourceEnum
from app.domain.ttl import TtlUnit as TtlUnitEnum
from app.domain.windows import WindowUnit as WindowUnitEnum
from app.services.errors import ErrorCode as ErrorCodeEnum
from app.services.keys import KeyFilter as KeyFilterEnum


class PricingEnum(str, enum.Enum):
    FREE = "FREE"
    PAID = "PAID"


def described(domain_enum: type[enum.Enum], name: str, description: str, values: dict[str, str]):
    """``strawberry.enum`` of a domain enum, with a description on each value (a value added to the
    domain without one is reported by tests/api/test_schema_descriptions.py)."""
    exposed = strawberry.enum(domain_enum, name=name, description=description)
    for value in exposed.__strawberry_definition__.values:
        value.description = values.get(value.name)
    return exposed


Plan = described(PlanEnum, "Plan", "The organization's plan; it sets how many keys each project may have.", {
    "FREE": "5 keys per project.",
    "PRO": "20 keys per project.",
    "ENTERPRISE": "500 keys per project.",
})
KeyStatus = described(KeyStatusEnum, "KeyStatus", "Whether a key may be used now (EXPIRED wins over DISABLED).", {
    "ACTIVE": "Enabled and not expired: the gateway accepts it.",
    "DISABLED": "Turned off by its owner; enabling it makes it ACTIVE again.",
    "EXPIRED": "Its expiresAt has passed; enabling it needs a new ttl.",
})
KeyFilter = described(
    KeyFilterEnum, "KeyFilter", "ACTIVE: status ACTIVE. INACTIVE: DISABLED or EXPIRED (the page's Inactive tab).", {
        "ACTIVE": "Keys whose status is ACTIVE.",
        "INACTIVE": "Keys whose status is DISABLED or EXPIRED.",
        "ALL": "Every key of the project.",
    })
WindowUnit = described(WindowUnitEnum, "WindowUnit", "Unit of a recurring limit's window.", {
    "HOUR": "Hours (1 to 8760).",
    "DAY": "Days (1 to 365).",
    "WEEK": "Weeks (1 to 52).",
    "MONTH": "Calendar months in UTC from the anchor, the day clamped to the month's end (1 to 12).",
})
TtlUnit = described(TtlUnitEnum, "TtlUnit", "Unit of a key's time to live.", {
    "MINUTE": "Minutes.",
    "HOUR": "Hours.",
    "DAY": "Days (at most 3650 days in any unit).",
})
IamRuleType = described(RuleType, "IamRuleType", "What an IAM rule matches, and whether it allows or denies.", {
    "ALLOW_MODELS": "Only these model ids (a trailing * matches a prefix: openai/*).",
    "DENY_MODELS": "Never these model ids (a trailing * matches a prefix).",
    "ALLOW_PROVIDERS": "Only these provider ids.",
    "DENY_PROVIDERS": "Never these provider ids.",
    "ALLOW_PRICING": "Only offers of this pricing (FREE or PAID).",
    "DENY_PRICING": "Never offers of this pricing (FREE or PAID).",
})
UsageSource = described(UsageSourceEnum, "UsageSource", "Who paid for a request; both count toward usage and limits.", {
    "CREDITS": "Paid from the organization's credits (the default).",
    "PROVIDER_KEY": "Paid with the customer's own provider key.",
})
Pricing = described(PricingEnum, "Pricing", "Whether an offer costs anything.", {
    "FREE": "Input and output prices are both 0.",
    "PAID": "Any other offer.",
})
ErrorCode = described(ErrorCodeEnum, "ErrorCode", "Why a mutation changed nothing.", {
    "VALIDATION": "A value of the input is not acceptable (the error's field says which).",
    "NOT_FOUND": "No such object in the caller's organization.",
    "KEY_LIMIT_REACHED": "The project has as many keys as the plan allows.",
    "TTL_REQUIRED": "Enabling an EXPIRED key needs a new ttl.",
    "UNKNOWN_MODEL": "An IAM rule names a model the catalog does not know.",
    "UNKNOWN_PROVIDER": "An IAM rule names a provider the catalog does not know.",
})


@strawberry.enum(name="AuditAction", description="What an audit event records.")
class AuditAction(enum.Enum):
    PROJECT_CREATED = strawberry.enum_value("PROJECT_CREATED", description="A project was created.")
    KEY_CREATED = strawberry.enum_value("KEY_CREATED", description="An API key was created.")
    KEY_RENAMED = strawberry.enum_value("KEY_RENAMED", description="An API key was renamed.")
    KEY_LIMITS_UPDATED = strawberry.enum_value("KEY_LIMITS_UPDATED", description="An API key's spend limits changed.")
    KEY_ENABLED = strawberry.enum_value("KEY_ENABLED", description="An API key was enabled (or given a new expiry).")
    KEY_DISABLED = strawberry.enum_value("KEY_DISABLED", description="An API key was disabled.")
    KEY_IAM_RULES_UPDATED = strawberry.enum_value("KEY_IAM_RULES_UPDATED", description="An API key's IAM rules changed.")
    KEY_ROLLED = strawberry.enum_value("KEY_ROLLED", description="An API key got a new secret.")
    KEY_DELETED = strawberry.enum_value("KEY_DELETED", description="An API key was deleted.")
    TOKEN_CREATED = strawberry.enum_value("TOKEN_CREATED", description="A management or gateway token was created.")
    TOKEN_REVOKED = strawberry.enum_value("TOKEN_REVOKED", description="A token was revoked.")
    PLAN_CHANGED = strawberry.enum_value("PLAN_CHANGED", description="The organization's plan or key limit changed.")
    WEBHOOK_CREATED = strawberry.enum_value("WEBHOOK_CREATED", description="A webhook was created.")
    WEBHOOK_UPDATED = strawberry.enum_value("WEBHOOK_UPDATED", description="A webhook was changed.")
    WEBHOOK_DELETED = strawberry.enum_value("WEBHOOK_DELETED", description="A webhook was deleted.")


@strawberry.enum(name="ActorKind", description="Who made a change.")
class ActorKind(enum.Enum):
    MANAGEMENT_TOKEN = strawberry.enum_value("MANAGEMENT_TOKEN", description="A management token, through GraphQL.")
    OPERATOR = strawberry.enum_value("OPERATOR", description="The operator, through the keyplane CLI.")
    SYSTEM = strawberry.enum_value("SYSTEM", description="Keyplane itself (the first start's bootstrap).")
