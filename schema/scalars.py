"""Custom scalars (registered in the schema's ``scalar_map``). ``Decimal`` travels as a plain decimal string; its value is checked by the
services (so a bad amount comes back as a typed VALIDATION error on its field, not as a
failed request).

One grammar for an amount however it arrives: a string, a JSON number in the variables, or a
literal in the document all reach the services as the text the client wrote (``/graphql``
decodes JSON numbers exactly, ``app/jsonbody.py``), so ``1e3`` is refused all three ways and
``123456789.123456789`` is stored exactly all three ways."""
from __future__ import annotations

from typing import NewType

import strawberry
from graphql import FloatValueNode, IntValueNode, StringValueNode

from app.jsonbody import JsonNumber

Money = NewType("Money", str)

MONEY_SCALAR = strawberry.scalar(
    name="Decimal",
    description=(
        'Exact amount of US dollars as a plain decimal string ("12.5", never "1E+1"); '
        "at most 9 decimal places; NaN and Infinity are refused. As input, a JSON number or a number "
        "literal is accepted too, with exactly the same grammar as a string (digits, an optional '.', "
        "no exponent) and its exact digits (never rounded through a float)."
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
    if isinstance(value, JsonNumber):
        return value.text  # a JSON number with a fraction or exponent, as the client wrote it
    if isinstance(value, (str, int)):
        return str(value)
    return _InvalidAmount(value)  # floats included: they cannot carry an exact amount


def _literal_amount(node):
    if isinstance(node, (StringValueNode, IntValueNode, FloatValueNode)):
        return node.value
    return _InvalidAmount(getattr(node, "value", ""))
