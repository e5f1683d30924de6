"""Input types of the mutations."""
from __future__ import annotations

import strawberry

from schema.enums import IamRuleType, TtlUnit, WindowUnit
from schema.scalars import Money


@strawberry.input
class TtlInput:
    value: int
    unit: TtlUnit

    def as_tuple(self) -> tuple:
        return (self.value, self.unit)


@strawberry.input
class WindowInput:
    value: int
    unit: WindowUnit


@strawberry.input
class RecurringLimitInput:
    amount: Money
    window: WindowInput

    def as_tuple(self) -> tuple:
        return (self.amount, self.window.value, self.window.unit)


@strawberry.input
class IamRuleInput:
    type: IamRuleType
    values: list[str]


def rules_as_tuples(rules: list[IamRuleInput] | None) -> list[tuple[str, list[str]]] | None:
    return None if rules is None else [(rule.type.value, list(rule.values)) for rule in rules]


@strawberry.input
class CreateProjectInput:
    name: str


@strawberry.input
class CreateApiKeyInput:
    project_id: strawberry.ID
    name: str
    ttl: TtlInput | None = None
    all_time_limit: Money | None = None
    recurring_limit: RecurringLimitInput | None = None
    iam_rules: list[IamRuleInput] | None = None


@strawberry.input(description="A field left out stays as it is; a field given as null removes that limit.")
class UpdateApiKeyLimitsInput:
    id: strawberry.ID
    all_time_limit: strawberry.Maybe[Money | None]
    recurring_limit: strawberry.Maybe[RecurringLimitInput | None]


@strawberry.input(description="Enabling an EXPIRED key needs ttl. ttl may be given on any enable; it sets a new expiry.")
class SetApiKeyEnabledInput:
    id: strawberry.ID
    enabled: bool
    ttl: TtlInput | None = None


@strawberry.input
class RenameApiKeyInput:
    id: strawberry.ID
    name: str


@strawberry.input(description="Replaces the key's whole rule set; an empty list removes every rule.")
class SetApiKeyIamRulesInput:
    id: strawberry.ID
    rules: list[IamRuleInput]


@strawberry.input
class DeleteApiKeyInput:
    id: strawberry.ID
