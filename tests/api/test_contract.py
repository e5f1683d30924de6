"""The exported schema keeps the pinned contract (docs/contract.md), checked inside the repo.

The pinned GraphQL is copied as fixtures under tests/api/contract/: ``first_release.graphql``
(always checked) and one ``added_*.graphql`` per feature added after the first release, which
is checked once that feature is built (ADDED_BLOCKS_BUILT below).

A pinned name must exist with a type clients can keep using: an output may be stricter than
pinned (``String`` pinned, ``String!`` served), an input or argument may be looser
(``Int!`` pinned, ``Int`` accepted); and nothing new may be required of clients.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from graphql import (GraphQLEnumType, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLList, GraphQLNonNull,
                     GraphQLObjectType, GraphQLSchema, Undefined, build_schema, is_non_null_type)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.documents import GRAPHQL_ROOT

CONTRACT_DIR = Path(__file__).resolve().parent / "contract"
FIRST_RELEASE = CONTRACT_DIR / "first_release.graphql"
ADDED_BLOCKS = sorted(path.stem.removeprefix("added_") for path in CONTRACT_DIR.glob("added_*.graphql"))

# ---------------------------------------------------------------------------------------------
# The added blocks whose features exist so far. NONE YET: when the work that builds one lands,
# add its name here ("key_rotation", "audit_log", "webhooks") so the check covers it from then on.
ADDED_BLOCKS_BUILT: set[str] = {"key_rotation", "audit_log", "webhooks"}
# ---------------------------------------------------------------------------------------------

OUTPUT_KINDS = (GraphQLObjectType, GraphQLInterfaceType)


def pinned_schema(*added: str) -> GraphQLSchema:
    """The first-release SDL, extended by the named added blocks."""
    parts = [FIRST_RELEASE.read_text()] + [(CONTRACT_DIR / f"added_{name}.graphql").read_text() for name in added]
    return build_schema("\n".join(parts))


def exported_schema() -> GraphQLSchema:
    return build_schema((GRAPHQL_ROOT / "schema.graphql").read_text())


def _output_compatible(got, pinned) -> bool:
    """A client reading a ``pinned`` value can read a ``got`` one: non-null may be added."""
    if isinstance(pinned, GraphQLNonNull):
        return isinstance(got, GraphQLNonNull) and _output_compatible(got.of_type, pinned.of_type)
    if isinstance(got, GraphQLNonNull):
        got = got.of_type
    if isinstance(pinned, GraphQLList):
        return isinstance(got, GraphQLList) and _output_compatible(got.of_type, pinned.of_type)
    return not isinstance(got, GraphQLList) and got.name == pinned.name


def _input_compatible(got, pinned) -> bool:
    """A value a client sends as ``pinned`` is accepted as ``got``: non-null may be dropped."""
    if isinstance(got, GraphQLNonNull):
        return isinstance(pinned, GraphQLNonNull) and _input_compatible(got.of_type, pinned.of_type)
    if isinstance(pinned, GraphQLNonNull):
        pinned = pinned.of_type
    if isinstance(got, GraphQLList):
        return isinstance(pinned, GraphQLList) and _input_compatible(got.of_type, pinned.of_type)
    return not isinstance(pinned, GraphQLList) and got.name == pinned.name


def _newly_required(where: str, pinned_inputs, got_inputs) -> list[str]:
    return [f"{where}: {name} is required but not pinned (it breaks clients)"
            for name, value in got_inputs.items()
            if name not in pinned_inputs and is_non_null_type(value.type) and value.default_value is Undefined]


def _check_inputs(where: str, pinned_inputs, got_inputs) -> list[str]:
    out = []
    for name, pinned in pinned_inputs.items():
        got = got_inputs.get(name)
        if got is None:
            out.append(f"missing {where}.{name}")
        elif not _input_compatible(got.type, pinned.type):
            out.append(f"{where}.{name} is {got.type}, pinned as {pinned.type}")
    return out + _newly_required(where, pinned_inputs, got_inputs)


def _check_type(name: str, pinned, got) -> list[str]:
    if type(got) is not type(pinned):
        return [f"{name} is a {type(got).__name__}, pinned as {type(pinned).__name__}"]
    out = []
    if isinstance(pinned, GraphQLEnumType):
        out += [f"missing enum value {name}.{value}" for value in pinned.values if value not in got.values]
    if isinstance(pinned, OUTPUT_KINDS):
        have = {interface.name for interface in got.interfaces}
        out += [f"{name} does not implement {i.name}" for i in pinned.interfaces if i.name not in have]
        for field_name, field in pinned.fields.items():
            served = got.fields.get(field_name)
            if served is None:
                out.append(f"missing field {name}.{field_name}")
                continue
            if not _output_compatible(served.type, field.type):
                out.append(f"{name}.{field_name} is {served.type}, pinned as {field.type}")
            out += _check_inputs(f"argument {name}.{field_name}", field.args, served.args)
    if isinstance(pinned, GraphQLInputObjectType):
        out += _check_inputs(f"input field {name}", pinned.fields, got.fields)
    return out


def contract_breaks(pinned: GraphQLSchema, got: GraphQLSchema) -> list[str]:
    """Every pinned type, field, argument, input field or enum value that ``got`` lacks or types
    incompatibly; empty when ``got`` keeps the contract. Extra names are fine."""
    out = []
    for name, pinned_type in pinned.type_map.items():
        if name.startswith("__") or name in {"String", "Int", "Float", "Boolean", "ID"}:
            continue
        got_type = got.type_map.get(name)
        out += [f"missing type {name}"] if got_type is None else _check_type(name, pinned_type, got_type)
    return out


def test_the_fixtures_are_the_contracts_blocks():
    names = set(pinned_schema(*ADDED_BLOCKS).type_map)
    assert {"ApiKey", "Project", "Mutation", "Model", "Pricing", "RollApiKeyInput", "AuditEvent", "Webhook"} <= names
    assert ADDED_BLOCKS == ["audit_log", "key_rotation", "webhooks"]
    assert ADDED_BLOCKS_BUILT <= set(ADDED_BLOCKS)


def test_exported_schema_keeps_the_contract():
    assert contract_breaks(pinned_schema(), exported_schema()) == []


@pytest.mark.parametrize("block", ADDED_BLOCKS)
def test_exported_schema_keeps_the_added_blocks_that_are_built(block):
    breaks = contract_breaks(pinned_schema(block), exported_schema())
    if block in ADDED_BLOCKS_BUILT:
        assert breaks == [], f"added block {block!r} is listed as built but the schema breaks it"
    else:
        assert breaks != [], f"added block {block!r} is now served in full: add it to ADDED_BLOCKS_BUILT"


# --- the check itself catches what breaks clients, and only that ------------------------------

def _pinned_items() -> list[tuple[str, str, str]]:
    """(kind, type, member) for every pinned field, argument, input field and enum value."""
    items = []
    for name, pinned_type in pinned_schema().type_map.items():
        if name.startswith("__"):
            continue
        if isinstance(pinned_type, GraphQLEnumType):
            items += [("enum value", name, value) for value in pinned_type.values]
        if isinstance(pinned_type, (*OUTPUT_KINDS, GraphQLInputObjectType)):
            for field_name, field in pinned_type.fields.items():
                items.append(("field", name, field_name))
                items += [("argument", name, f"{field_name}.{arg}") for arg in getattr(field, "args", {})]
    return items


PINNED_ITEMS = _pinned_items()
FEW_EXAMPLES = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _remove(schema: GraphQLSchema, kind: str, type_name: str, member: str) -> None:
    target = schema.type_map[type_name]
    if kind == "enum value":
        del target.values[member]
    elif kind == "field":
        del target.fields[member]
    else:
        field_name, arg = member.split(".")
        del target.fields[field_name].args[arg]


@FEW_EXAMPLES
@given(st.sampled_from(PINNED_ITEMS))
def test_dropping_any_pinned_name_is_reported(item):
    kind, type_name, member = item
    got = exported_schema()
    _remove(got, kind, type_name, member)
    breaks = contract_breaks(pinned_schema(), got)
    assert any(type_name in line and member.split(".")[-1] in line for line in breaks), breaks


OUTPUT_FIELDS = [(t, f) for kind, t, f in PINNED_ITEMS
                 if kind == "field" and isinstance(pinned_schema().type_map[t], OUTPUT_KINDS)]


@FEW_EXAMPLES
@given(st.sampled_from(OUTPUT_FIELDS))
def test_an_output_may_get_stricter_but_not_looser(item):
    type_name, field_name = item
    got = exported_schema()
    field = got.type_map[type_name].fields[field_name]
    if isinstance(field.type, GraphQLNonNull):
        field.type = field.type.of_type   # a client relying on non-null would break
        assert f"{type_name}.{field_name} is" in "\n".join(contract_breaks(pinned_schema(), got))
    else:
        field.type = GraphQLNonNull(field.type)   # a client reading a nullable value copes
        assert contract_breaks(pinned_schema(), got) == []


def test_an_input_may_get_looser_but_nothing_new_may_be_required():
    got = exported_schema()
    create = got.type_map["CreateApiKeyInput"]
    create.fields["name"].type = create.fields["name"].type.of_type   # String! -> String: still accepted
    assert contract_breaks(pinned_schema(), got) == []
    create.fields["owner"] = type(create.fields["name"])(GraphQLNonNull(got.type_map["String"]))
    assert contract_breaks(pinned_schema(), got) == [
        "input field CreateApiKeyInput: owner is required but not pinned (it breaks clients)"]
