"""GraphQL enums, each the domain's own enum exposed under its contract name."""
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


Plan = strawberry.enum(PlanEnum, name="Plan")
KeyStatus = strawberry.enum(KeyStatusEnum, name="KeyStatus")
KeyFilter = strawberry.enum(
    KeyFilterEnum, name="KeyFilter", description="ACTIVE: status ACTIVE. INACTIVE: DISABLED or EXPIRED (the page's Inactive tab)."
)
WindowUnit = strawberry.enum(WindowUnitEnum, name="WindowUnit")
TtlUnit = strawberry.enum(TtlUnitEnum, name="TtlUnit")
IamRuleType = strawberry.enum(RuleType, name="IamRuleType")
UsageSource = strawberry.enum(UsageSourceEnum, name="UsageSource")
Pricing = strawberry.enum(PricingEnum, name="Pricing")
ErrorCode = strawberry.enum(ErrorCodeEnum, name="ErrorCode")
