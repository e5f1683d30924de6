"""Input types of the mutations."""
from __future__ import annotations

import strawberry

from schema.enums import IamRuleType, TtlUnit, WindowUnit
from schema.scalars import Money

KEY_ID = "The key's global id."
TTL = "Time to live: the key expires at now + ttl."
ALL_TIME_LIMIT = "The most the key may ever spend, in US dollars: 0 to 1,000,000,000, at most 9 decimal places."
RECURRING_LIMIT = "A limit per recurring window; windows start when it is set."
ALERT_THRESHOLDS = ("Percentages of each limit (all-time and every recurring window) at which KEY_USAGE_THRESHOLD fires:"
                    " 1 to 100, at most 5, no repeats.")


@strawberry.input(description="A duration: value of unit, from 1 unit to 3650 days.")
class TtlInput:
    value: int = strawberry.field(description="How many units, at least 1.")
    unit: TtlUnit = strawberry.field(description="The unit.")

    def as_tuple(self) -> tuple:
        return (self.value, self.unit.to_domain())


@strawberry.input(description="A window length: HOUR 1–8760, DAY 1–365, WEEK 1–52, MONTH 1–12.")
class WindowInput:
    value: int = strawberry.field(description="How many units.")
    unit: WindowUnit = strawberry.field(description="The unit.")


@strawberry.input(description="A limit on spend per recurring window.")
class RecurringLimitInput:
    amount: Money = strawberry.field(description="The most per window, in US dollars (0 blocks every request).")
    window: WindowInput = strawberry.field(description="The window's length.")

    def as_tuple(self) -> tuple:
        return (self.amount, self.window.value, self.window.unit.to_domain())


@strawberry.input(description="An IAM rule: allow or deny models, providers or pricing.")
class IamRuleInput:
    type: IamRuleType = strawberry.field(description="What the rule matches, and whether it allows or denies.")
    values: list[str] = strawberry.field(
        description="Model ids (openai/* for a prefix), provider ids, or FREE/PAID; known to the catalog, not empty."
    )


def rules_as_tuples(rules: list[IamRuleInput] | None) -> list[tuple[str, list[str]]] | None:
    return None if rules is None else [(rule.type.to_domain().value, list(rule.values)) for rule in rules]


@strawberry.input(description="A new project.")
class CreateProjectInput:
    name: str = strawberry.field(description="The project's name.")


@strawberry.input(description="A new key; only projectId and name are required.")
class CreateApiKeyInput:
    project_id: strawberry.ID = strawberry.field(description="The global id of the project to create the key in.")
    name: str = strawberry.field(description="The key's name: 1 to 64 characters after trimming, no control characters.")
    ttl: TtlInput | None = strawberry.field(default=None, description=TTL + " Absent: the key never expires.")
    all_time_limit: Money | None = strawberry.field(default=None, description=ALL_TIME_LIMIT + " Absent: no limit.")
    recurring_limit: RecurringLimitInput | None = strawberry.field(default=None, description=RECURRING_LIMIT + " Absent: none.")
    iam_rules: list[IamRuleInput] | None = strawberry.field(default=None, description="Absent or empty: everything is allowed.")
    alert_thresholds: list[int] | None = strawberry.field(default=None, description=ALERT_THRESHOLDS + " Absent: [80].")


@strawberry.input(description="A field left out stays as it is; a field given as null removes that limit.")
class UpdateApiKeyLimitsInput:
    id: strawberry.ID = strawberry.field(description=KEY_ID)
    all_time_limit: strawberry.Maybe[Money | None] = strawberry.field(description=ALL_TIME_LIMIT)
    recurring_limit: strawberry.Maybe[RecurringLimitInput | None] = strawberry.field(
        description=RECURRING_LIMIT + " Re-sending the current one changes nothing."
    )
    alert_thresholds: strawberry.Maybe[list[int] | None] = strawberry.field(
        description=ALERT_THRESHOLDS + " Null: back to the default [80]; an empty list: no threshold alerts."
    )


@strawberry.input(description="Enabling an EXPIRED key needs ttl. ttl may be given on any enable; it sets a new expiry.")
class SetApiKeyEnabledInput:
    id: strawberry.ID = strawberry.field(description=KEY_ID)
    enabled: bool = strawberry.field(description="True enables the key, false disables it.")
    ttl: TtlInput | None = strawberry.field(default=None, description=TTL)


@strawberry.input(description="A key's new name.")
class RenameApiKeyInput:
    id: strawberry.ID = strawberry.field(description=KEY_ID)
    name: str = strawberry.field(description="The key's name: 1 to 64 characters after trimming, no control characters.")


@strawberry.input(description="Replaces the key's whole rule set; an empty list removes every rule.")
class SetApiKeyIamRulesInput:
    id: strawberry.ID = strawberry.field(description=KEY_ID)
    rules: list[IamRuleInput] = strawberry.field(description="The key's rules from now on, in order.")


@strawberry.input(description="The key to delete.")
class DeleteApiKeyInput:
    id: strawberry.ID = strawberry.field(description=KEY_ID)


@strawberry.input(description="Old secret keeps working until now + gracePeriod; null or absent: it stops at once. At most 30 days.")
class RollApiKeyInput:
    id: strawberry.ID = strawberry.field(description="The key to give a new secret.")
    grace_period: TtlInput | None = strawberry.field(
        default=None, description="How long the previous secret keeps working; null or absent: it stops at once.")
