"""Custom scalars (registered in the schema's ``scalar_map``). ``Decimal`` travels as a plain decimal string; its value is checked by the
services (so a bad amount comes back as a typed VALIDATION error on its field, not as a
failed request)."""
from __future__ import annotations

from typing import NewType

import strawberry
from graphql import FloatValueNode, IntValueNode, StringValueNode

Money = NewType("Money", str)

MONEY_SCALAR = strawberry.scalar(
    name="Decimal",
    description=(
        'Exact amount of US dollars as a plain decimal string ("12.5", never "1E+1"); '
        "at most 9 decimal places; NaN and Infinity are refused."
    ),
    serialize=str,
    parse_value=lambda value: _raw_amount(value),
    parse_literal=lambda node, _variables=None: _literal_amount(node),
)


class _InvalidAmount(str):
    """A value of the wrong JSON type: kept, so the service refuses it with a typed error."""


def _raw_amount(value):
    if isinstance(value, bool):
        return _InvalidAmount(value)
    if isinstance(value, (str, int)):
        return str(value)
    if isinstance(value, float):
        # a JSON number: its shortest repr is the digits the client wrote
        return repr(value)
    return _InvalidAmount(value)


def _literal_amount(node):
    if isinstance(node, (StringValueNode, IntValueNode, FloatValueNode)):
        return node.value
    return _InvalidAmount(getattr(node, "value", ""))
