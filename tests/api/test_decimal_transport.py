"""The Decimal scalar takes one grammar however an amount travels: as a string in the variables,
as a JSON number in the variables, or as a literal in the document. No float on the way: the
digits a client sends are the digits stored (issue 12.8: 123456789.123456789 came back as
123456789.12345679, and 1e3 was accepted as a number but refused as a string)."""
from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from app.domain.money import format_nanos
from app.server import create_app
from app.services import orgs, projects, tokens
from app.services.callers import Tenant
from app.settings import Settings
from app.domain.ids import encode
from tests.conftest import TABLES, TEST_DATABASE_URL
from tests.support.clock import FakeClock
from tests.support.documents import document
from tests.support.live import LiveServer

SELECTION = "{ apiKey { limits { allTime } } errors { code field } }"


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    url = TEST_DATABASE_URL or f"sqlite://{tmp_path_factory.mktemp('decimals')}/decimals.sqlite3"
    server = LiveServer(create_app(Settings(database_url=url, poll_interval_ms=50), FakeClock())).start()

    async def setup():
        from app.store import sql

        if TEST_DATABASE_URL:
            await sql.execute(sql.client(), f"TRUNCATE {', '.join(t for t in TABLES if t != 'catalog_offers')} RESTART IDENTITY CASCADE")
        clock = FakeClock()
        org = await orgs.create_org(clock, "decimals")
        management = await tokens.create(clock, tokens.MANAGEMENT, org.id)
        project = await projects.create_project(Tenant(org.id, management.id), clock, "P")
        return management.secret, encode("Project", project.id)

    token, project_id = server.call(setup())
    server.http = httpx.Client(base_url=server.url, timeout=30, headers={"Authorization": f"Bearer {token}"})
    created = server.http.post("/graphql", json={"query": document("CreateApiKey"),
                                                 "variables": {"input": {"projectId": project_id, "name": "d"}}})
    server.key_id = created.json()["data"]["createApiKey"]["apiKey"]["id"]
    yield server
    server.http.close()
    server.stop()


def post(live, body: str) -> dict:
    response = live.http.post("/graphql", content=body.encode(), headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text
    return response.json()["data"]["updateApiKeyLimits"]


def as_string(live, text: str) -> dict:
    query = f"mutation($input: UpdateApiKeyLimitsInput!) {{ updateApiKeyLimits(input: $input) {SELECTION} }}"
    return post(live, '{"query": %s, "variables": {"input": {"id": "%s", "allTimeLimit": "%s"}}}'
                % (_json_string(query), live.key_id, text))


def as_json_number(live, text: str) -> dict:
    query = f"mutation($input: UpdateApiKeyLimitsInput!) {{ updateApiKeyLimits(input: $input) {SELECTION} }}"
    return post(live, '{"query": %s, "variables": {"input": {"id": "%s", "allTimeLimit": %s}}}'
                % (_json_string(query), live.key_id, text))  # the number exactly as written, not through a float


def as_literal(live, text: str) -> dict:
    query = f'mutation {{ updateApiKeyLimits(input: {{id: "{live.key_id}", allTimeLimit: {text}}}) {SELECTION} }}'
    return post(live, '{"query": %s}' % _json_string(query))


def _json_string(text: str) -> str:
    import json

    return json.dumps(text)


# Number texts that are valid JSON and valid GraphQL number literals alike (the two grammars agree):
# amounts with and without fractions, many decimal places, exponents, negatives, huge values.
numbers = st.builds(
    lambda sign, whole, fraction, exponent: f"{sign}{whole}{fraction}{exponent}",
    st.sampled_from(["", "-"]),
    st.from_regex(r"0|[1-9][0-9]{0,11}", fullmatch=True),
    st.sampled_from([""]) | st.from_regex(r"\.[0-9]{1,14}", fullmatch=True),
    st.sampled_from([""]) | st.from_regex(r"[eE][+-]?[0-9]{1,2}", fullmatch=True),
)


def expected(text: str) -> str | None:
    """The stored limit as the API shows it, or None when the contract refuses the amount: plain
    decimals only (no exponent), 0 to 1,000,000,000, at most 9 decimal places."""
    if "e" in text.lower():
        return None
    value = Decimal(text)
    if value < 0 or value > 10**9 or value != value.quantize(Decimal("1e-9")):
        return None
    return format_nanos(int(value.scaleb(9)))


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=numbers)
@example(text="123456789.123456789")
@example(text="1e3")
@example(text="0.000000001")
@example(text="1000000000.000000000")
def test_an_amount_means_the_same_however_it_travels(live, text):
    answers = [send(live, text) for send in (as_string, as_json_number, as_literal)]
    assert answers[0] == answers[1] == answers[2], (text, answers)
    stored = expected(text)
    if stored is None:
        assert answers[0]["apiKey"] is None
        assert answers[0]["errors"] == [{"code": "VALIDATION", "field": "allTimeLimit"}]
    else:
        assert answers[0] == {"apiKey": {"limits": {"allTime": stored}}, "errors": []}
