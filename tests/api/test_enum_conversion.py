"""Every GraphQL enum is the schema's own class (Strawberry never decorates the app's enums), and
its conversion to and from the app's enum is a bijection over every member."""
import enum

import pytest
from graphql import GraphQLEnumType

from schema import enums
from schema.build import schema

PAIRS = sorted(enums.DOMAIN.items(), key=lambda pair: pair[0].__name__)


@pytest.mark.parametrize(("graphql", "domain"), PAIRS, ids=[g.__name__ for g, _ in PAIRS])
def test_each_conversion_is_a_bijection_over_every_member(graphql, domain):
    members, values = list(graphql), list(domain.values())
    assert len(set(values)) == len(values), "two names of the app's enum share a value"
    assert len(members) == len(values), f"{graphql.__name__} and the app's enum differ: {sorted(graphql.__members__)} vs {sorted(domain)}"
    to_domain = {member: member.to_domain() for member in members}
    assert set(to_domain.values()) == set(values)  # onto, and (same sizes) one to one
    for member in members:
        assert graphql.from_domain(member.to_domain()) is member
    for value in values:
        assert graphql.from_domain(value).to_domain() is value


def test_every_enum_of_the_schema_is_converted_and_none_is_an_app_enum():
    exposed = {t.name: t for t in schema._schema.type_map.values()
               if isinstance(t, GraphQLEnumType) and not t.name.startswith("__")}
    classes = {cls.__strawberry_definition__.name: cls for cls in enums.DOMAIN}
    assert set(exposed) == set(classes)
    for cls in classes.values():
        assert cls.__module__ == "schema.enums" and issubclass(cls, enums.DomainEnum)
    for values in enums.DOMAIN.values():
        for value in values.values():
            assert not hasattr(type(value), "__strawberry_definition__"), f"{type(value)} is decorated by Strawberry"


def test_the_app_enums_are_untouched_by_the_schema():
    for values in enums.DOMAIN.values():
        for value in values.values():
            if isinstance(value, enum.Enum):
                assert type(value).__module__.startswith("app.")
