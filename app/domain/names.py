"""Names of projects, keys and organizations: 1-64 characters after trimming, no control characters."""
from __future__ import annotations

import unicodedata

from app.domain.text import has_control_characters

MAX_NAME_LENGTH = 64


class NameError_(ValueError):
    pass


def clean_name(raw: str) -> str:
    if not isinstance(raw, str):
        raise NameError_("must be a string")
    name = raw.strip()
    if not name:
        raise NameError_("must not be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise NameError_(f"must be at most {MAX_NAME_LENGTH} characters")
    if has_control_characters(name):
        raise NameError_("must not contain control characters")
    return name


def name_key(clean: str) -> str:
    """What makes two project names "the same" to a person: equal after trimming, ignoring
    case and Unicode look-alike forms ("Mobile App", " mobile app ", "ＭＯＢＩＬＥ APP")."""
    return unicodedata.normalize("NFKC", clean.strip()).casefold()
