"""The client documents of graphql/queries/, assembled exactly as the server serves them to
the dashboard (app/web.py): the tests send the same text."""
from __future__ import annotations

from app.web import GRAPHQL_ROOT, assembled_document


def operation_names() -> list[str]:
    return sorted(path.stem for path in (GRAPHQL_ROOT / "queries").glob("*.graphql"))


def document(name: str) -> str:
    text = assembled_document(name)
    if text is None:
        raise KeyError(f"no document graphql/queries/{name}.graphql")
    return text
