"""The checks a document passes before anything runs, as one Strawberry extension:

- tokens, before parsing (schema/limits.py);
- depth and aliases, with graphql-core's validation rules (schema/limits.py);
- once the variables are known, just before execution: the argument values that need no I/O
  (schema/arguments.py), then the estimated result size (schema/limits.py).

A refusal answers ``data: null`` and errors with ``extensions.code``; no resolver runs.
"""
from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError, get_operation_ast
from graphql.execution import ExecutionResult
from graphql.execution.values import get_variable_values
from strawberry.extensions import SchemaExtension

from app.clock import SystemClock
from app.domain.timeconv import to_micros
from schema import limits
from schema.arguments import argument_errors
from schema.context import Context


class DocumentChecks(SchemaExtension):
    def __init__(self, *, max_tokens: int = limits.MAX_TOKENS, max_depth: int = limits.MAX_DEPTH,
                 max_aliases: int = limits.MAX_ALIASES, max_nodes: int = limits.DEFAULT_MAX_NODES) -> None:
        self.max_tokens = max_tokens
        self.rules = (limits.depth_rule(max_depth), limits.alias_rule(max_aliases))
        self.max_nodes = max_nodes

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.validation_rules = (*context.validation_rules, *self.rules)
        yield

    def on_parse(self) -> Iterator[None]:
        limits.check_tokens(self.execution_context.query, self.max_tokens)
        yield

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        errors = self._errors_before_execution()
        if errors:
            context.result = ExecutionResult(data=None, errors=errors)
        yield

    def _errors_before_execution(self) -> list[GraphQLError]:
        context = self.execution_context
        schema = context.schema._schema
        document = context.graphql_document
        operation = get_operation_ast(document, context.operation_name)
        if operation is None:
            return []  # graphql-core's execution reports a missing or ambiguous operation
        variables = get_variable_values(schema, operation.variable_definitions or [], context.variables or {})
        if isinstance(variables, list):
            return []  # so do bad variables; no resolver runs in either case
        request = context.context
        errors = argument_errors(schema, document, operation, variables, self._now_us(request))
        if errors:
            return errors
        max_nodes = request.settings.graphql_max_nodes if isinstance(request, Context) else self.max_nodes
        try:
            limits.check_result_size(schema, document, operation, variables, max_nodes)
        except GraphQLError as refused:
            return [refused]
        return []

    @staticmethod
    def _now_us(request) -> int:
        """The request's "now" (so the checks and the resolvers agree); the system clock when
        the schema is executed without keyplane's context (benchmarks)."""
        return request.now_us if isinstance(request, Context) else to_micros(SystemClock().now())
