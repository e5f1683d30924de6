"""Argument values that need no I/O (cursors, date ranges, ``first``) are checked before any
resolver runs: a mutation whose selection holds a bad one answers an error and commits nothing
(a client that retries would otherwise create duplicates). The fields are found from the schema."""
from __future__ import annotations

import json
from collections import deque
from datetime import datetime, timedelta, timezone

from graphql import GraphQLObjectType, get_named_type, is_non_null_type
from hypothesis import HealthCheck, given, settings, strategies as st

from app.domain.cursors import decode_cursor
from app.domain.ids import encode
from app.services.usage import MAX_SUMMARY_DAYS
from app.store import sql
from schema.arguments import ARGUMENT_CHECKS
from schema.build import schema

SDL = schema._schema
CHECKED_ARGUMENTS = {"first", "after", "from", "to"}
CURSOR_KIND = {("Project", "apiKeys"): ("k", 1), ("ApiKey", "usageRecords"): ("u", 2), ("Organization", "auditEvents"): ("a", 1),
               ("Webhook", "deliveries"): ("d", 1)}
EXAMPLES = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))


def fields_with_checked_arguments() -> list[tuple[str, str]]:
    found = []
    for type_ in SDL.type_map.values():
        if type_.name.startswith("__") or not hasattr(type_, "fields") or type_ is SDL.mutation_type:
            continue
        for name, field in getattr(type_, "fields", {}).items():
            if set(getattr(field, "args", {})) & CHECKED_ARGUMENTS or any(
                get_named_type(arg.type).name == "DateTime" for arg in getattr(field, "args", {}).values()
            ):
                found.append((type_.name, name))
    return sorted(found)


def path_from(start: str, goal: str) -> list[str]:
    """Field names leading from type ``start`` to type ``goal`` (fields without required arguments)."""
    queue, seen = deque([(start, [])]), {start}
    while queue:
        name, path = queue.popleft()
        if name == goal:
            return path
        for field_name, field in SDL.type_map[name].fields.items():
            target = get_named_type(field.type)
            required = any(is_non_null_type(a.type) and a.default_value is None for a in field.args.values())
            if isinstance(target, GraphQLObjectType) and target.name not in seen and not required:
                seen.add(target.name)
                queue.append((target.name, path + [field_name]))
    raise AssertionError(f"no path from {start} to {goal}")


def reachable_from_key(field: tuple[str, str]) -> bool:
    try:
        path_from("ApiKey", field[0])
    except AssertionError:
        return False
    return True


def fields_in_key_selections() -> list[tuple[str, str]]:
    """The checked fields a mutation's key payload can select (the others are tested in queries)."""
    return [field for field in fields_with_checked_arguments() if reachable_from_key(field)]


def selection(owner: str, field: str, arguments: str) -> str:
    inner = f"{field}({arguments}) {{ __typename }}"
    for step in reversed(path_from("ApiKey", owner)):
        inner = f"{step} {{ {inner} }}"
    return inner


def iso(moment: datetime) -> str:
    return moment.isoformat()


NOW = datetime(2026, 1, 31, 10, 0, tzinfo=timezone.utc)
negative = st.integers(min_value=-(2**31), max_value=-1)
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(timezone.utc))


def bad_cursors(kind: tuple[str, int]):
    return st.text(max_size=60).filter(lambda text: decode_cursor(kind[0], text, kind[1]) is None)


def bad_arguments(owner: str, field: str):
    """Argument strings of the class that the field's check refuses."""
    args = SDL.type_map[owner].fields[field].args
    choices = []
    if "first" in args:
        choices.append(negative.map(lambda n: f"first: {n}"))
    if "after" in args:
        choices.append(bad_cursors(CURSOR_KIND[(owner, field)]).map(lambda c: f"after: {json.dumps(c)}"))
    if "from" in args and "to" in args:
        reversed_range = st.tuples(moments, st.integers(min_value=0, max_value=10**6)).map(
            lambda p: f'from: "{iso(p[0] + timedelta(seconds=p[1]))}", to: "{iso(p[0])}"')
        too_long = st.tuples(moments, st.integers(min_value=1, max_value=10**6)).map(
            lambda p: f'from: "{iso(p[0])}", to: "{iso(p[0] + timedelta(days=MAX_SUMMARY_DAYS, seconds=p[1]))}"')
        # the case: a start in the future, the end left to its default (today)
        future = moments.filter(lambda m: m > NOW + timedelta(days=1)).map(lambda m: f'from: "{iso(m)}"')
        choices += [reversed_range, too_long, future]
    assert choices, (owner, field)
    return st.one_of(*choices)


def test_every_field_with_such_arguments_has_its_check():
    fields = fields_with_checked_arguments()
    assert set(fields) >= {("Project", "apiKeys"), ("ApiKey", "usageRecords"), ("ApiKey", "usageSummary")}
    assert sorted(ARGUMENT_CHECKS) == fields


async def key_count() -> int:
    return len(await sql.fetch(sql.client(), "SELECT id FROM api_keys"))


@EXAMPLES
@given(data=st.data())
async def test_bad_arguments_in_a_create_selection_commit_nothing(acme, data):
    owner, field = data.draw(st.sampled_from(fields_in_key_selections()))
    arguments = data.draw(bad_arguments(owner, field))
    before = await key_count()
    query = f"mutation($input: CreateApiKeyInput!) {{ createApiKey(input: $input) {{ secret apiKey {{ {selection(owner, field, arguments)} }} }} }}"
    body = (await acme.gql.raw(query, {"input": {"projectId": acme.project_id, "name": "retry me"}})).json()
    assert body.get("data") is None, (query, body)
    assert {e["extensions"]["code"] for e in body["errors"]} == {"BAD_USER_INPUT"}, body
    assert await key_count() == before


@EXAMPLES
@given(data=st.data())
async def test_bad_arguments_in_a_rename_selection_change_nothing(acme, data):
    if await key_count() == 0:  # the fixtures live across hypothesis's examples: create the key once
        await acme.gql.mutate("CreateApiKey", projectId=acme.project_id, name="before")
    (row,) = await sql.fetch(sql.client(), "SELECT id FROM api_keys")
    key_id = encode("ApiKey", row["id"])
    owner, field = data.draw(st.sampled_from(fields_in_key_selections()))
    arguments = data.draw(bad_arguments(owner, field))
    query = f"mutation($input: RenameApiKeyInput!) {{ renameApiKey(input: $input) {{ apiKey {{ {selection(owner, field, arguments)} }} }} }}"
    body = (await acme.gql.raw(query, {"input": {"id": key_id, "name": "after"}})).json()
    assert body.get("data") is None and body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
    assert [row["name"] for row in await sql.fetch(sql.client(), "SELECT name FROM api_keys")] == ["before"]


async def test_variables_are_checked_too_and_the_error_names_the_field(acme):
    query = """mutation($input: CreateApiKeyInput!, $after: String) { createApiKey(input: $input) {
      apiKey { usageRecords(after: $after) { edges { cursor } } } } }"""
    body = (await acme.gql.raw(query, {"input": {"projectId": acme.project_id, "name": "k"}, "after": "nope"})).json()
    assert body.get("data") is None
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}
    assert "cursor" in error["message"]
    assert await key_count() == 0


async def test_good_arguments_still_run(acme):
    query = """mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) {
      apiKey { usageRecords(first: 0) { edges { cursor } } usageSummary { requests } } } }"""
    body = (await acme.gql.raw(query, {"input": {"projectId": acme.project_id, "name": "k"}})).json()
    assert "errors" not in body, body
    assert body["data"]["createApiKey"]["apiKey"]["usageSummary"]["requests"] == 0
    assert await key_count() == 1


@EXAMPLES
@given(data=st.data())
async def test_bad_arguments_of_organization_fields_are_refused_before_anything_runs(acme, data):
    """The checked fields no key payload reaches (the audit log) are refused in queries alike."""
    unreachable = [f for f in fields_with_checked_arguments() if not reachable_from_key(f)]
    assert ("Organization", "auditEvents") in unreachable
    owner, field = data.draw(st.sampled_from(unreachable))
    arguments = data.draw(bad_arguments(owner, field))
    path = path_from("Query", owner)
    inner = f"{field}({arguments}) {{ __typename }}"
    for step in reversed(path):
        inner = f"{step} {{ {inner} }}"
    body = (await acme.gql.raw(f"{{ {inner} }}", {})).json()
    assert body.get("data") is None and body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
