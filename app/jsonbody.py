"""The one JSON decoder for request bodies, shared by /graphql and the data plane.

JSON numbers with a fraction or exponent become exact ``JsonNumber`` Decimals, never floats: a
cost or a limit sent as 0.00001 is the amount the client wrote. A ``JsonNumber`` also keeps the
text the client wrote, so the GraphQL ``Decimal`` scalar can apply to it the very grammar it
applies to a string. NaN and Infinity become non-finite Decimals, which every amount refuses.
"""
from __future__ import annotations

import json
from decimal import Decimal


class JsonNumber(Decimal):
    """An exact JSON number with a fraction, an exponent, or NaN/Infinity; ``text`` is as written."""

    text: str

    def __new__(cls, text: str) -> "JsonNumber":
        number = super().__new__(cls, text)
        number.text = text
        return number

    def __inspect__(self) -> str:
        """How graphql-core quotes it in an error ("Int cannot represent non-integer value: 10.5")."""
        return self.text


class NotJson(ValueError):
    pass


_DECODER = json.JSONDecoder(parse_float=JsonNumber, parse_constant=JsonNumber)  # built once: this runs per request


def decode(body: bytes | str) -> object:
    """The decoded JSON value, or NotJson for bytes that are not UTF-8 JSON (or nest absurdly deep)."""
    try:
        return _DECODER.decode(body.decode("utf-8") if isinstance(body, bytes) else body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise NotJson("not valid JSON") from None
