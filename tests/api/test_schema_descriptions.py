"""Every type, field, argument, input field and enum value of the schema has a description that
starts with a capital letter (what graphql-schema-linter's *-have-descriptions and
descriptions-are-capitalized rules ask), so GraphiQL's docs and generated clients explain them."""
from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType

from schema.build import schema

SDL = schema._schema


def undescribed() -> list[str]:
    missing = []

    def check(where: str, description: str | None) -> None:
        text = (description or "").strip()
        if not text or text[0] != text[0].upper():  # the linter's rule: no lower-case first letter
            missing.append(f"{where}: {description!r}")

    for name, type_ in SDL.type_map.items():
        if name.startswith("__"):
            continue
        check(name, type_.description)
        if isinstance(type_, GraphQLEnumType):
            for value_name, value in type_.values.items():
                check(f"{name}.{value_name}", value.description)
        if isinstance(type_, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
            for field_name, field in type_.fields.items():
                check(f"{name}.{field_name}", field.description)
                for arg_name, arg in getattr(field, "args", {}).items():
                    check(f"{name}.{field_name}({arg_name})", arg.description)
    return missing


def test_everything_in_the_schema_has_a_capitalized_description():
    missing = undescribed()
    assert missing == [], f"{len(missing)} without a capitalized description:\n" + "\n".join(missing)
