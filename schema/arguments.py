"""Argument values that can be checked without I/O (cursors, date ranges, ``first``), checked
for the whole operation before any resolver runs: a mutation never commits when a field of
its selection would then refuse its arguments.

Each check is the service's own function (the one its resolver's service call runs), so a
rule lives in one place. Every field of the schema with such arguments must be listed here;
tests/api/test_argument_prechecks.py finds them from the schema.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from graphql import (FieldNode, FragmentDefinitionNode, FragmentSpreadNode, GraphQLError, GraphQLSchema, TypeInfo,
                     TypeInfoVisitor, Visitor, visit)
from graphql.execution.values import get_argument_values

from app.domain.timeconv import to_micros
from app.services import audit, keys, usage, webhooks
from app.services.errors import Refused
from schema.errors import argument_error


def _micros(value: datetime | None) -> int | None:
    return None if value is None else to_micros(value)


ArgumentCheck = Callable[[dict, int], object]
"""(the field's coerced arguments, now in microseconds) -> anything; raises ``Refused``."""

ARGUMENT_CHECKS: dict[tuple[str, str], ArgumentCheck] = {
    ("Organization", "auditEvents"): lambda args, _now: audit.page_args(args.get("first"), args.get("after")),
    ("Project", "apiKeys"): lambda args, _now: keys.page_args(args.get("first"), args.get("after")),
    ("ApiKey", "usageRecords"): lambda args, _now: usage.records_page_args(args.get("first"), args.get("after")),
    ("ApiKey", "usageSummary"): lambda args, now: usage.summary_range(now, _micros(args.get("from")), _micros(args.get("to"))),
    ("Webhook", "deliveries"): lambda args, _now: webhooks.deliveries_page_args(args.get("first"), args.get("after")),
}


class _Collector(Visitor):
    """Collects the errors of the checked fields of one definition, and the fragments it spreads."""

    def __init__(self, type_info: TypeInfo, variables, now_us: int) -> None:
        super().__init__()
        self.type_info = type_info
        self.variables = variables
        self.now_us = now_us
        self.errors: list[GraphQLError] = []
        self.spreads: list[str] = []

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_args):
        self.spreads.append(node.name.value)

    def enter_field(self, node: FieldNode, *_args):
        parent, definition = self.type_info.get_parent_type(), self.type_info.get_field_def()
        check = None if parent is None else ARGUMENT_CHECKS.get((parent.name, node.name.value))
        if check is None or definition is None:
            return
        try:
            check(get_argument_values(definition, node, self.variables), self.now_us)
        except Refused as refused:
            self.errors.append(argument_error(refused, [node]))


def argument_errors(schema: GraphQLSchema, document, operation, variables, now_us: int) -> list[GraphQLError]:
    """Run every argument check of the operation, visiting it and each fragment it reaches once."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    pending, seen, errors = [operation], set(), []
    while pending:
        definition = pending.pop()
        type_info = TypeInfo(schema)
        collector = _Collector(type_info, variables, now_us)
        visit(definition, TypeInfoVisitor(type_info, collector))
        errors += collector.errors
        for name in collector.spreads:
            if name not in seen and name in fragments:
                seen.add(name)
                pending.append(fragments[name])
    return errors
