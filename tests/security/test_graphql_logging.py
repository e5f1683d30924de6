"""Client mistakes in GraphQL documents are not errors of the server: nothing at ERROR, and
neither the document nor the variables (where a pasted secret would be) reach the log, even at
DEBUG. A bug in a resolver is still logged at ERROR, with its traceback, without variables."""
from __future__ import annotations

import logging
import string

from hypothesis import HealthCheck, given, settings, strategies as st

from schema.build import schema

secrets = st.text(alphabet=string.ascii_letters + string.digits, min_size=20, max_size=40).map(lambda s: "kp_" + s)

# (document, variables) with the secret in every place a client mistake can carry it
MISTAKES = [
    lambda s: (f"{{ organization {{ id }} }} {s}", None),                                   # syntax
    lambda s: (f"# {s}\n{{ organization {{ id }}", None),                                   # syntax, excerpt
    lambda s: (f'{{ project(id: {{a: "{s}"}}) {{ id }} }}', None),                          # literal of the wrong type
    lambda s: (f"{{ {s} }}", None),                                                         # unknown field
    lambda s: (f"{{ ...{s} }}", None),                                                      # unknown fragment
    lambda s: ("query($first: Int) { organization { id } }", {"first": s}),                 # variable of the wrong type
    lambda s: ("query($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }", {"i": {"name": s}}),
    lambda s: (f'{{ project(id: "x") {{ apiKeys(after: "{s}") {{ edges {{ cursor }} }} }} }}', None),  # bad cursor
    lambda s: ("{ organization { id } } " + " ".join(f"a{i}: organization {{ name }}" for i in range(40)) + f" # {s}", None),
]


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def text(self) -> str:
        return "\n".join(f"{r.name} {r.levelname} {r.getMessage()} {r.__dict__}" for r in self.records)


def capturing():
    root = logging.getLogger()
    handler, level = Capture(), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    return handler, lambda: (root.removeHandler(handler), root.setLevel(level))


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(secrets, st.sampled_from(range(len(MISTAKES))))
def test_client_mistakes_log_nothing_at_error_and_never_the_document_or_variables(secret, which):
    query, variables = MISTAKES[which](secret)
    handler, stop = capturing()
    try:
        result = schema.execute_sync(query, variable_values=variables)
    finally:
        stop()
    assert result.errors, "each of these documents is a mistake"
    assert [r for r in handler.records if r.levelno >= logging.ERROR] == []
    assert secret not in handler.text() and secret[3:] not in handler.text()


async def test_a_resolver_bug_is_logged_at_error_with_its_traceback_but_no_variables(app, acme, monkeypatch):
    secret = "kp_" + "S3cr3tValueNeverLogged" * 2

    async def broken():
        raise RuntimeError(f"boom {secret}")

    monkeypatch.setattr(app.state.catalogs, "current", broken)
    handler, stop = capturing()
    try:
        body = (await acme.gql.raw("query($x: ID!) { project(id: $x) { id } models { id } }", {"x": secret})).json()
    finally:
        stop()
    assert body["errors"][0]["message"] == "Internal error."
    errors = [r for r in handler.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    fields = errors[0].fields
    assert fields["path"] == "models" and fields["exception"] == "RuntimeError"
    assert "in broken" in fields["traceback"]
    assert secret not in handler.text()
