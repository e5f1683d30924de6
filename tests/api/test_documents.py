"""The exported SDL and the client documents never rot."""
import subprocess
import sys
from pathlib import Path

from graphql import parse, validate

from schema.build import schema
from tests.support.documents import GRAPHQL_ROOT, document, operation_names

CONTRACT_CHECK = Path(__file__).resolve().parents[3] / "shared" / "tools" / "contract_check.py"


def test_exported_schema_is_current():
    exported = (GRAPHQL_ROOT / "schema.graphql").read_text()
    assert exported.strip() == schema.as_str().strip(), "graphql/schema.graphql is stale: run `keyplane schema > graphql/schema.graphql`"


def test_exported_schema_keeps_the_contract():
    assert CONTRACT_CHECK.exists(), f"missing {CONTRACT_CHECK}"
    result = subprocess.run([sys.executable, str(CONTRACT_CHECK), str(GRAPHQL_ROOT / "schema.graphql")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_every_document_is_valid_against_the_schema():
    for name in operation_names():
        errors = validate(schema._schema, parse(document(name)))
        assert errors == [], f"{name}: {errors}"


def test_every_root_field_has_a_client_document():
    used = set()
    for name in operation_names():
        tree = parse(document(name))
        for definition in tree.definitions:
            if getattr(definition, "operation", None) is not None:
                used |= {selection.name.value for selection in definition.selection_set.selections}
    roots = set(schema._schema.query_type.fields) | set(schema._schema.mutation_type.fields)
    assert roots - used == set(), f"root fields without a document in graphql/queries: {sorted(roots - used)}"
