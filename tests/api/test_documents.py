"""The exported SDL and the client documents never rot."""
from graphql import parse, validate

from schema.build import schema
from tests.support.documents import GRAPHQL_ROOT, document, operation_names


def test_exported_schema_is_current():
    exported = (GRAPHQL_ROOT / "schema.graphql").read_text()
    assert exported.strip() == schema.as_str().strip(), "graphql/schema.graphql is stale: run `keyplane schema > graphql/schema.graphql`"


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
