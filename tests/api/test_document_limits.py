"""Hostile documents: checking one is linear in its size whatever its fragments do (each
fragment evaluated once, counted, never timed), the estimated result size refuses what would
return too much before anything runs, every limit error has a code, and an unknown fragment
is an ordinary validation error."""
from __future__ import annotations

import re

from graphql import parse, validate
from hypothesis import HealthCheck, given, settings, strategies as st

from app.store import sql
from schema import limits
from schema.build import schema
from tests.support.documents import document, operation_names

SDL = schema._schema
PURE = settings(max_examples=60, deadline=None)


def doubling(n: int, leaf: str = "__typename") -> str:
    """query { ...F0 } where F_i spreads F_{i+1} twice: 2^n expansions in n+1 fragments."""
    lines = ["query { ...F0 }"]
    lines += [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(n)]
    lines.append(f"fragment F{n} on Query {{ {leaf} }}")
    return "\n".join(lines)


# A random fragment DAG: fragment i spreads later fragments (several times), and may nest them
# through a connection, with aliases. Shapes: doubling, wide fan-out, connections, aliases.
@st.composite
def fragment_dags(draw, max_fragments: int = 7):
    count = draw(st.integers(min_value=1, max_value=max_fragments))
    bodies = []
    for i in range(count):
        parts = []
        if draw(st.booleans()):
            parts.append(f"a{i}: name")
        later = list(range(i + 1, count))
        for j in draw(st.lists(st.sampled_from(later), max_size=4)) if later else []:
            if draw(st.booleans()):
                first = draw(st.integers(min_value=0, max_value=100))
                parts.append(f"c{i}_{j}: apiKeys(first: {first}) {{ edges {{ node {{ project {{ ...P{j} }} }} }} }}")
            else:
                parts.append(f"...P{j}")
        parts.append("id")
        bodies.append(" ".join(parts))
    return bodies


def with_fragments(bodies: list[str]) -> str:
    defs = "\n".join(f"fragment P{i} on Project {{ {body} }}" for i, body in enumerate(bodies))
    return f'query {{ project(id: "x") {{ ...P0 }} }}\n{defs}'


def inlined(bodies: list[str]) -> str:
    """The same operation with every spread written out (exponential: small inputs only)."""
    def expand(i: int) -> str:
        return re.sub(r"\.\.\.P(\d+)", lambda m: f"... on Project {{ {expand(int(m.group(1)))} }}", bodies[i])
    return f'query {{ project(id: "x") {{ {expand(0)} }} }}'


def measures(text: str):
    """(depth, aliases, estimated objects, fragment evaluations of each rule)."""
    tree = parse(text)
    fragments = limits.fragments_of(tree)
    operation = next(d for d in tree.definitions if d.kind == "operation_definition")
    depth_of = limits.FragmentMemo(fragments, lambda f: limits.selection_depth(f.selection_set, depth_of), 0)
    aliases_of = limits.FragmentMemo(fragments, lambda f: limits.alias_count(f.selection_set, aliases_of, 10**9), 0)
    estimate = limits.NodeEstimate(SDL, fragments, None, cap=10**18)
    values = (limits.selection_depth(operation.selection_set, depth_of),
              limits.alias_count(operation.selection_set, aliases_of, 10**9),
              estimate.operation(operation))
    return values, (depth_of.evaluations, aliases_of.evaluations, estimate.of_fragment.evaluations)


@PURE
@given(fragment_dags())
def test_each_fragment_is_evaluated_once_and_gives_what_its_expansion_gives(bodies):
    values, evaluations = measures(with_fragments(bodies))
    expanded, _ = measures(inlined(bodies))
    assert values == expanded
    assert all(count <= len(bodies) for count in evaluations)


@PURE
@given(st.integers(min_value=1, max_value=400), st.sampled_from(["__typename", "a: __typename", "organization { id }"]))
def test_doubling_spreads_cost_one_evaluation_per_fragment(n, leaf):
    _, evaluations = measures(doubling(n, leaf))
    assert evaluations == (n + 1, n + 1, n + 1)


def test_a_doubling_document_of_60_fragments_is_checked_and_answered():
    # 2^60 expansions: this returns only because no step of the pipeline (graphql-core's
    # validation, our limits, execution) expands the spreads
    result = schema.execute_sync(doubling(60))
    assert result.errors is None and result.data == {"__typename": "Query"}


def test_doubling_aliases_are_counted_as_executed_and_refused():
    result = schema.execute_sync(doubling(10, "a: __typename"))
    assert result.data is None
    assert [e.extensions["code"] for e in result.errors] == ["TOO_MANY_ALIASES"]


def test_wide_fan_out_is_linear():
    spreads = " ".join(f"...W{i}" for i in range(300))
    text = f"query {{ {spreads} }}\n" + "\n".join(f"fragment W{i} on Query {{ ...Leaf }}" for i in range(300))
    text += "\nfragment Leaf on Query { __typename }"
    _, evaluations = measures(text)
    assert evaluations == (301, 301, 301)


def estimate_of(text: str, variables: dict | None = None) -> int:
    from graphql.execution.values import get_variable_values

    tree = parse(text)
    operation = next(d for d in tree.definitions if d.kind == "operation_definition")
    coerced = get_variable_values(SDL, operation.variable_definitions or [], variables or {})
    assert not isinstance(coerced, list), coerced
    return limits.NodeEstimate(SDL, limits.fragments_of(tree), coerced, cap=10**18).operation(operation)


def _page_of(inner: str) -> str:
    return f"apiKeys(first: $first) {{ edges {{ node {{ {inner} }} }} }}"


# the document: three nested pages of keys, each key's project listing its keys again
NESTED = f"query($p: ID!, $first: Int) {{ project(id: $p) {{ {_page_of('project { ' + _page_of('project { ' + _page_of('id') + ' }') + ' }')} }} }}"


def test_connections_count_their_first_and_multiply_what_is_below():
    # project 1; per level: connection 1, edges f, node f, project f (the last level has no project)
    assert estimate_of('{ project(id: "x") { apiKeys(first: 3) { edges { node { id } } } } }') == 1 + 1 + 3 + 3
    assert estimate_of('{ project(id: "x") { apiKeys { edges { node { id } } } } }') == 1 + 1 + 50 + 50
    assert estimate_of('{ project(id: "x") { apiKeys(first: 1000) { edges { node { id } } } } }') == 1 + 1 + 100 + 100
    # other lists count 20
    assert estimate_of("{ organization { projects { id } } }") == 1 + 20
    assert estimate_of("{ models { offers { provider } } }") == 20 + 20 * 20
    # leaves and introspection count nothing
    assert estimate_of("{ providers __schema { types { fields { name } } } }") == 0
    assert estimate_of(NESTED, {"p": "x", "first": 100}) > 1_000_000
    assert estimate_of(NESTED, {"p": "x", "first": 2}) == 1 + (1 + 2 * 3) + 2 * (1 + 2 * 3) + 4 * (1 + 2 * 2)


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=100), st.integers(min_value=0, max_value=100))
def test_the_estimate_is_the_product_of_the_pages(outer, inner):
    text = f"""{{ project(id: "x") {{ apiKeys(first: {outer}) {{ edges {{ node {{
        usageRecords(first: {inner}) {{ edges {{ node {{ id }} }} }} }} }} }} }} }}"""
    assert estimate_of(text) == 1 + 1 + outer * (2 + 1 + 2 * inner)


def test_every_dashboard_document_passes_under_the_default_with_its_largest_pages():
    from graphql.execution.values import get_variable_values

    for name in operation_names():
        tree = parse(document(name))
        assert validate(SDL, tree, [limits.depth_rule(), limits.alias_rule()]) == [], name
        operation = next(d for d in tree.definitions if d.kind == "operation_definition")
        pages = [v for v in operation.variable_definitions or [] if v.variable.name.value == "first"]
        largest = get_variable_values(SDL, pages, {"first": 100})
        size = limits.NodeEstimate(SDL, limits.fragments_of(tree), largest, cap=10**18).operation(operation)
        assert size <= limits.DEFAULT_MAX_NODES, (name, size)


async def test_a_result_too_large_is_refused_before_anything_runs(acme):
    response = await acme.gql.raw(NESTED, {"p": acme.project_id, "first": 100})
    body = response.json()
    assert response.status_code == 200
    assert body.get("data") is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["QUERY_TOO_COMPLEX"]
    ok = (await acme.gql.raw(NESTED, {"p": acme.project_id, "first": 10})).json()
    assert "errors" not in ok and ok["data"]["project"]["apiKeys"]["edges"] == []


async def test_a_mutation_too_large_commits_nothing(acme):
    text = """mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { project {
      apiKeys(first: 100) { edges { node { usageRecords(first: 100) { edges { node { id } } } } } } } } } }"""
    body = (await acme.gql.raw(text, {"input": {"projectId": acme.project_id, "name": "big"}})).json()
    assert body.get("data") is None and body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert await sql.fetch(sql.client(), "SELECT id FROM api_keys") == []


async def test_the_limit_is_a_setting(clock, database):
    from app.server import create_app
    from app.settings import Settings
    import httpx
    from tests.conftest import make_tenant

    assert Settings.from_env({"KEYPLANE_GRAPHQL_MAX_NODES": "7"}).graphql_max_nodes == 7
    application = create_app(Settings(database_url=database, graphql_max_nodes=7), clock, manage_database=False)
    async with application.router.lifespan_context(application):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://t") as client:
            tenant = await make_tenant(client, clock, "small")
            text = '{ project(id: "%s") { apiKeys(first: %d) { edges { node { id } } } } }'
            assert "errors" not in (await tenant.gql.raw(text % (tenant.project_id, 2))).json()
            refused = (await tenant.gql.raw(text % (tenant.project_id, 3))).json()
            assert refused["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True))
def test_an_unknown_fragment_is_a_validation_error(name):
    for text in (f"{{ ...{name} }}", f"query {{ ...Known }} fragment Known on Query {{ ...{name} }}"):
        if name == "Known":
            continue
        result = schema.execute_sync(text)
        assert result.data is None
        messages = [e.message for e in result.errors]
        assert f"Unknown fragment '{name}'." in messages, messages


async def test_an_unknown_fragment_over_http(acme):
    body = (await acme.gql.raw("query { apiKey(id: \"x\") { ...ApiKeyFields } }")).json()
    assert body["errors"][0]["message"] == "Unknown fragment 'ApiKeyFields'."
