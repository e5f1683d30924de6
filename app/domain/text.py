"""What "control characters" means wherever keyplane checks text a person or a gateway sent
(names, catalog ids, request ids, labels, models): one definition, so a character refused in one
place is refused in all of them."""
from __future__ import annotations

import unicodedata

# Unicode category C (control, format, surrogate, private use, unassigned) and the line and
# paragraph separators: characters that are invisible, reorder text or break a line
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def has_control_characters(value: str) -> bool:
    """``isprintable`` (in C) answers for the usual text at once: a string it accepts has no
    character of category C or Z but the ASCII space; only the rest is looked at one by one."""
    return not value.isprintable() and any(unicodedata.category(ch) in REFUSED_CATEGORIES for ch in value)
