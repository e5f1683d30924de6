"""One meaning of "control characters" for every text keyplane checks: a character of Unicode
category C or a line/paragraph separator is refused in names, request ids and catalog ids alike,
and ordinary text (letters, digits, punctuation, spaces) is accepted by all of them."""
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain import names
from app.domain.catalog import CatalogError, parse_catalog
from app.domain.text import REFUSED_CATEGORIES, has_control_characters
from app.domain.usage import EventError, clean_request_id

REFUSED = st.characters(categories=sorted(REFUSED_CATEGORIES))
ORDINARY = st.text(st.characters(categories=["L", "N", "P", "S"]), min_size=1, max_size=30)


def _catalog_error(model_id: str) -> str | None:
    offer = {"provider": "openai", "inputPricePerMillion": "1", "outputPricePerMillion": "2"}
    try:  # "x" appended: a trailing '*' is refused for another reason (it is reserved for wildcard rules)
        parse_catalog({"models": [{"id": model_id + "x", "offers": [offer]}]})
    except CatalogError as exc:
        return str(exc)
    return None


def _name_error(text: str) -> str | None:
    try:
        names.clean_name(text)
    except names.NameError_ as exc:
        return str(exc)
    return None


def _request_id_error(text: str) -> str | None:
    try:
        clean_request_id(text)
    except EventError as exc:
        return exc.message
    return None


CHECKERS = [_name_error, _request_id_error, _catalog_error]  # each: None when accepted, else the message


@given(text=st.text(max_size=40))
def test_the_definition_is_the_unicode_categories(text):
    assert has_control_characters(text) == any(unicodedata.category(ch) in REFUSED_CATEGORIES for ch in text)


@pytest.mark.parametrize("error_of", CHECKERS)
@given(before=ORDINARY, bad=REFUSED, after=ORDINARY)
def test_every_checker_refuses_a_control_character_anywhere(error_of, before, bad, after):
    assert "control characters" in (error_of(before + bad + after) or "")


@pytest.mark.parametrize("error_of", CHECKERS)
@given(text=ORDINARY)
def test_every_checker_accepts_ordinary_text(error_of, text):
    assert error_of(text) is None
