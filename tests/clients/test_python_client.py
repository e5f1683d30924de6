"""The generated Python client (clients/python, installed as keyplane-client) against a live
server: every document of graphql/queries/ at least once, typed errors from payloads, exact
Decimal and DateTime, and mypy --strict over the caller's code."""
from __future__ import annotations

import asyncio
import importlib.util
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from graphql import OperationDefinitionNode, parse
from hypothesis import given, strategies as st

from tests.clients.conftest import CLIENTS, REPO, require
from tests.conftest import backend

GENERATED = CLIENTS / "python" / "keyplane_client"
SCENARIO = Path(__file__).with_name("python_scenario.py")


def installed_client() -> Path:
    """The installed package, which must be the checked-in one (a stale install tests nothing)."""
    spec = importlib.util.find_spec("keyplane_client")
    require(spec is not None and spec.origin is not None, "keyplane_client is not installed: pip install ./clients/python")
    assert spec is not None and spec.origin is not None
    installed = Path(spec.origin).parent
    stale = sorted(path.name for path in GENERATED.glob("*.py")
                   if not (installed / path.name).is_file() or (installed / path.name).read_text() != path.read_text())
    assert not stale, f"the installed keyplane_client differs from clients/python in {stale}: pip install ./clients/python"
    return installed


def operations_in_the_folder() -> set[str]:
    names: set[str] = set()
    for path in (REPO / "graphql" / "queries").glob("*.graphql"):
        for definition in parse(path.read_text()).definitions:
            if isinstance(definition, OperationDefinitionNode):
                assert definition.name is not None, f"{path.name}: an operation without a name"
                names.add(definition.name.value)
    return names


async def test_every_operation_runs_through_the_python_client(keyplane):
    installed_client()
    from tests.clients.python_scenario import RecordingClient, run

    async def record_usage(key_id: str, events: list[tuple[str, str, str]]) -> None:
        await asyncio.to_thread(keyplane.record_usage, key_id, events)

    def advance(delta: timedelta) -> None:
        keyplane.clock.advance(seconds=delta.total_seconds())

    async with RecordingClient(keyplane.graphql_url, keyplane.management) as client:
        await run(client, advance, record_usage)
    expected = operations_in_the_folder()
    assert len(expected) >= 13
    assert set(client.sent) == expected, f"never exercised: {sorted(expected - set(client.sent))}"


async def test_a_wrong_token_is_a_typed_client_error(keyplane):
    installed_client()
    from keyplane_client import GraphQLClientGraphQLMultiError, GraphQLClientHttpError, KeyplaneClient

    async with KeyplaneClient(url=keyplane.graphql_url, headers={"Authorization": "Bearer kpm_wrong"}) as client:
        with pytest.raises((GraphQLClientHttpError, GraphQLClientGraphQLMultiError)):
            await client.organization()


@given(st.decimals(allow_nan=False, allow_infinity=False, places=9, min_value=Decimal("-1e12"), max_value=Decimal("1e12"))
       | st.decimals(allow_nan=False, allow_infinity=False))
def test_every_finite_decimal_goes_out_as_a_plain_decimal_string_and_comes_back_equal(amount):
    installed_client()
    from keyplane_client import RecurringLimitInput, WindowInput, WindowUnit
    from keyplane_client.fragments import PeriodFields

    sent = RecurringLimitInput(amount=amount, window=WindowInput(value=1, unit=WindowUnit.DAY)).model_dump(
        by_alias=True, exclude_unset=True)["amount"]
    assert isinstance(sent, str) and "E" not in sent.upper() and Decimal(sent) == amount
    period = PeriodFields.model_validate({"startedAt": "2026-01-31T10:00:00+00:00", "resetsAt": "2026-02-01T10:00:00+00:00",
                                          "usage": sent, "limit": sent, "remaining": "0"})
    assert period.usage == amount and isinstance(period.usage, Decimal)


def test_amounts_must_be_strings_from_the_server_and_decimals_to_it():
    installed_client()
    from pydantic import ValidationError

    from keyplane_client import RecurringLimitInput, WindowInput, WindowUnit
    from keyplane_client.fragments import PeriodFields

    with pytest.raises(ValidationError):  # a JSON number may already have lost digits
        PeriodFields.model_validate({"startedAt": "2026-01-31T10:00:00+00:00", "resetsAt": "2026-02-01T10:00:00+00:00",
                                     "usage": 0.1, "limit": "1", "remaining": "0.9"})
    limit = RecurringLimitInput(amount=Decimal("0.1"), window=WindowInput(value=1, unit=WindowUnit.DAY))
    assert limit.model_dump(by_alias=True)["amount"] == "0.1"


@given(st.datetimes(timezones=st.timezones() | st.just(timezone.utc), allow_imaginary=False))
def test_every_aware_datetime_goes_out_in_iso_8601_with_its_offset(moment):
    installed_client()
    from keyplane_client.scalars import parse_datetime, serialize_datetime

    sent = serialize_datetime(moment)
    assert datetime.fromisoformat(sent).utcoffset() is not None
    received = parse_datetime(sent)
    # the same instant and offset (== between zones is unreliable for a wall time in a DST fold)
    assert received.timestamp() == moment.timestamp() and received.utcoffset() == moment.utcoffset()


@given(st.datetimes(timezones=st.none()))
def test_a_naive_datetime_is_refused_rather_than_guessed(moment):
    installed_client()
    from keyplane_client.scalars import parse_datetime, serialize_datetime

    with pytest.raises(ValueError, match="timezone"):
        serialize_datetime(moment)
    with pytest.raises(ValueError, match="offset"):
        parse_datetime(moment.isoformat())


@pytest.mark.skipif(backend() != "sqlite", reason="static typing does not depend on the database: checked once, on SQLite")
def test_the_callers_code_is_mypy_strict_clean(tmp_path):
    installed_client()
    require(importlib.util.find_spec("mypy") is not None, "mypy is not installed: pip install -e '.[test]'")
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\n")  # plain mypy: no plugin needed for the snake_case input names
    result = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--config-file", str(config),
                             "--cache-dir", str(tmp_path / "cache"), str(SCENARIO)],
                            capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr


def readme_python_example() -> str:
    """The README's Python example, as a user copies it (the first python block of "Clients")."""
    section = (REPO / "README.md").read_text().split("## Clients", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


async def test_the_readmes_python_example_works_against_a_live_server(keyplane, capsys):
    """Run as written, with only the server's address changed: it creates the key and lists it."""
    installed_client()
    from keyplane_client import CreateProjectInput, KeyplaneClient

    example = readme_python_example()
    assert 'url="http://127.0.0.1:8000/graphql"' in example  # where `keyplane serve` listens by default
    async with KeyplaneClient(url=keyplane.graphql_url, headers={"Authorization": f"Bearer {keyplane.management}"}) as kp:
        await kp.create_project(CreateProjectInput(name="Default"))  # what `keyplane serve` creates on a first start
    body = example.replace("http://127.0.0.1:8000/graphql", keyplane.graphql_url)
    source = "async def example(token):\n" + "".join(f"    {line}\n" for line in body.splitlines()) + "    return locals()\n"
    namespace: dict = {}
    exec(compile(source, "README.md", "exec"), namespace)
    done = await namespace["example"](keyplane.management)
    assert done["created"].errors == [] and capsys.readouterr().out == ""
    assert done["created"].api_key.name == "production"
    assert done["created"].api_key.limits.all_time == Decimal("50")
    listed = [edge.node.name for edge in done["page"].project.api_keys.edges]
    assert listed == ["production"]
