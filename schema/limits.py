"""Limits on the shape of GraphQL documents (tokens, depth, aliases, estimated result size),
checked before anything runs, in time linear in the document's size.

Each rule evaluates a fragment once, the first time it is spread, and reuses that value at
every other spread: a document whose fragments spread each other twice at every level (2^n
expansions) costs n evaluations, not 2^n. Unknown fragments and fragment cycles count as
empty here; graphql-core's own rules report them ("Unknown fragment …").

Every refusal is a GraphQLError with ``extensions.code``.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Source,
    TokenKind,
    get_named_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
)
from graphql.execution.values import get_argument_values
from graphql.language import Lexer
from graphql.validation import ASTValidationRule

from app.services.errors import Refused
from app.services.paging import MAX_PAGE, page_size

MAX_TOKENS = 5000
MAX_DEPTH = 12
MAX_ALIASES = 30
DEFAULT_MAX_NODES = 20000
OTHER_LIST_LENGTH = 20  # what a list that is not a connection's page counts for

V = TypeVar("V")


class FragmentMemo(Generic[V]):
    """The value of each fragment, computed once; ``evaluations`` counts the computations
    (the tests assert one per fragment, whatever the spreads do)."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode], compute: Callable[[FragmentDefinitionNode], V],
                 empty: V) -> None:
        self.fragments = fragments
        self.compute = compute
        self.empty = empty
        self.values: dict[str, V] = {}
        self.evaluations = 0

    def __getitem__(self, name: str) -> V:
        if name not in self.values:
            fragment = self.fragments.get(name)
            self.values[name] = self.empty  # a cycle reaching back here counts as empty
            if fragment is not None:
                self.evaluations += 1
                self.values[name] = self.compute(fragment)
        return self.values[name]


def fragments_of(document) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


def limit_error(message: str, code: str, nodes=None) -> GraphQLError:
    return GraphQLError(message, nodes, extensions={"code": code})


# --- tokens -------------------------------------------------------------------------------

def token_count(query: str, stop_after: int) -> int:
    """Tokens of the document (comments excluded), counting no further than ``stop_after``;
    a lexical error ends the count (the parser reports it)."""
    lexer = Lexer(Source(query))
    count = 0
    try:
        while lexer.advance().kind is not TokenKind.EOF and count <= stop_after:
            count += 1
    except GraphQLError:
        pass
    return count


def check_tokens(query: str | None, max_tokens: int = MAX_TOKENS) -> None:
    if query and token_count(query, max_tokens) > max_tokens:
        raise limit_error(f"The document has more than {max_tokens} tokens.", "TOO_MANY_TOKENS")


# --- depth and aliases (validation rules) -------------------------------------------------

def _is_introspection(field: FieldNode) -> bool:
    return field.name.value.startswith("__")


def selection_depth(selection_set: SelectionSetNode | None, depth_of: FragmentMemo[int]) -> int:
    """Levels of fields with sub-selections below this point; introspection fields count 0
    (GraphiQL's introspection query is deep but bounded by the schema)."""
    if selection_set is None:
        return 0
    deepest = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if _is_introspection(selection) or selection.selection_set is None:
                depth = 0
            else:
                depth = 1 + selection_depth(selection.selection_set, depth_of)
        elif isinstance(selection, InlineFragmentNode):
            depth = selection_depth(selection.selection_set, depth_of)
        else:
            depth = depth_of[selection.name.value]
        deepest = max(deepest, depth)
    return deepest


def alias_count(selection_set: SelectionSetNode | None, aliases_of: FragmentMemo[int], cap: int) -> int:
    """Aliased fields as executed: a fragment's aliases count at every spread (capped at ``cap``)."""
    if selection_set is None:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            total += (selection.alias is not None) + alias_count(selection.selection_set, aliases_of, cap)
        elif isinstance(selection, InlineFragmentNode):
            total += alias_count(selection.selection_set, aliases_of, cap)
        else:
            total += aliases_of[selection.name.value]
        total = min(total, cap)
    return total


def _operations(document) -> Iterator[OperationDefinitionNode]:
    return (d for d in document.definitions if isinstance(d, OperationDefinitionNode))


def _name(operation: OperationDefinitionNode) -> str:
    return operation.name.value if operation.name else "anonymous"


class _DocumentRule(ASTValidationRule):
    """A rule that looks at the whole document once, when the validator enters it."""

    def enter_document(self, node, *_args):
        fragments = fragments_of(node)
        try:
            for error in self.errors_of(node, fragments):
                self.report_error(error)
        except RecursionError:
            self.report_error(limit_error("The document exceeds the maximum depth.", "QUERY_TOO_DEEP"))
        return self.SKIP

    def errors_of(self, document, fragments) -> Iterator[GraphQLError]:
        raise NotImplementedError


def depth_rule(max_depth: int = MAX_DEPTH) -> type[ASTValidationRule]:
    class DepthLimit(_DocumentRule):
        def errors_of(self, document, fragments):
            depth_of: FragmentMemo[int] = FragmentMemo(fragments, lambda f: selection_depth(f.selection_set, depth_of), 0)
            for operation in _operations(document):
                if selection_depth(operation.selection_set, depth_of) > max_depth:
                    yield limit_error(f"'{_name(operation)}' exceeds the maximum depth of {max_depth}.",
                                      "QUERY_TOO_DEEP", [operation])

    return DepthLimit


def alias_rule(max_aliases: int = MAX_ALIASES) -> type[ASTValidationRule]:
    class AliasLimit(_DocumentRule):
        def errors_of(self, document, fragments):
            cap = max_aliases + 1
            aliases_of: FragmentMemo[int] = FragmentMemo(
                fragments, lambda f: alias_count(f.selection_set, aliases_of, cap), 0
            )
            for operation in _operations(document):
                if alias_count(operation.selection_set, aliases_of, cap) > max_aliases:
                    yield limit_error(f"'{_name(operation)}' has more than {max_aliases} aliases.",
                                      "TOO_MANY_ALIASES", [operation])

    return AliasLimit


# --- estimated result size ----------------------------------------------------------------

class NodeEstimate:
    """The estimated number of objects in an operation's result, before it runs.

    Each object counts 1 wherever it appears; leaves (scalars, enums) count nothing. A
    connection field (one with a ``first`` argument) has ``first`` edges (default 50, at most
    100, as the connection pages them), and everything below an edge counts once per edge;
    any other list counts 20 items. Introspection fields count nothing (bounded by the schema).

    A selection set is summarised as ``(single, per_item)``: its size is
    ``single + per_item * L``, where L is the length of the lists it holds directly (the
    enclosing connection's page, or 20). That summary does not depend on where a fragment is
    spread, so each fragment is evaluated once. Sums saturate at ``cap``.
    """

    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode], variables, cap: int) -> None:
        self.schema = schema
        self.variables = variables
        self.cap = cap
        self.of_fragment: FragmentMemo[tuple[int, int]] = FragmentMemo(fragments, self._fragment, (0, 0))

    def operation(self, operation: OperationDefinitionNode) -> int:
        root = self.schema.get_root_type(operation.operation)
        single, per_item = self.selection(operation.selection_set, root)
        return self._sat(single + per_item * OTHER_LIST_LENGTH)

    def _sat(self, value: int) -> int:
        return min(value, self.cap)

    def _fragment(self, fragment: FragmentDefinitionNode) -> tuple[int, int]:
        return self.selection(fragment.selection_set, self.schema.get_type(fragment.type_condition.name.value))

    def selection(self, selection_set: SelectionSetNode | None, parent) -> tuple[int, int]:
        single = per_item = 0
        if selection_set is None or parent is None:
            return 0, 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                one, is_list = self._field(selection, parent)
                if is_list:
                    per_item += one
                else:
                    single += one
            else:
                if isinstance(selection, InlineFragmentNode):
                    condition = selection.type_condition
                    inner = parent if condition is None else self.schema.get_type(condition.name.value)
                    s, p = self.selection(selection.selection_set, inner)
                else:
                    s, p = self.of_fragment[selection.name.value]
                single, per_item = single + s, per_item + p
            single, per_item = self._sat(single), self._sat(per_item)
        return single, per_item

    def _field(self, node: FieldNode, parent) -> tuple[int, bool]:
        """One appearance of the field's value (the object and what is below it), and
        whether it is a list (then that counts once per item)."""
        if _is_introspection(node) or not hasattr(parent, "fields"):
            return 0, False
        definition = parent.fields.get(node.name.value)
        if definition is None or is_leaf_type(get_named_type(definition.type)):
            return 0, False
        single, per_item = self.selection(node.selection_set, get_named_type(definition.type))
        length = self._page(definition, node) if "first" in definition.args else OTHER_LIST_LENGTH
        output = definition.type.of_type if is_non_null_type(definition.type) else definition.type
        return self._sat(1 + single + per_item * length), is_list_type(output)

    def _page(self, definition, node: FieldNode) -> int:
        try:
            return page_size(get_argument_values(definition, node, self.variables).get("first"))
        except (Refused, GraphQLError, TypeError):
            return MAX_PAGE  # a bad value is refused by the argument checks; count the most a page holds


def check_result_size(schema: GraphQLSchema, document, operation: OperationDefinitionNode, variables,
                      max_nodes: int) -> None:
    estimate = NodeEstimate(schema, fragments_of(document), variables, cap=max_nodes + 1)
    try:
        nodes = estimate.operation(operation)
    except RecursionError:
        nodes = max_nodes + 1
    if nodes > max_nodes:
        raise limit_error(
            f"The result would hold more than {max_nodes} objects (estimated before running it): "
            "ask for smaller pages or fewer nested connections.",
            "QUERY_TOO_COMPLEX", [operation],
        )
