"""The dashboard: static files under app/web/ at "/", and the client documents of
graphql/queries/ (with the fragments they spread) at /documents/NAME.graphql, so the SPA
sends exactly the documents that the test suite executes."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response

from app.http_errors import error_response

WEB_ROOT = Path(__file__).resolve().parent / "web"
GRAPHQL_ROOT = Path(__file__).resolve().parent.parent / "graphql"
_SPREAD = re.compile(r"\.\.\.\s*([A-Z]\w*)")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,63}$")
# what a file under app/web/ may be called: segments start with a letter or digit (so never "." or
# ".."), plain ASCII, bounded; anything else (NUL, backslashes, encodings, overlong names) is a 404
# before the file system sees it
_STATIC_PATH = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}(?:/[A-Za-z0-9][A-Za-z0-9._-]{0,99}){0,3}")
_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
          ".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon", ".json": "application/json"}
_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self';"
                               " connect-src 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


@lru_cache(maxsize=64)
def assembled_document(name: str) -> str | None:
    path = GRAPHQL_ROOT / "queries" / f"{name}.graphql"
    if not path.is_file():
        return None
    fragments = {p.stem: p.read_text() for p in (GRAPHQL_ROOT / "fragments").glob("*.graphql")}
    text = path.read_text()
    needed: list[str] = []
    pending = _SPREAD.findall(text)
    while pending:
        fragment = pending.pop()
        if fragment in needed or fragment not in fragments:
            continue
        needed.append(fragment)
        pending += _SPREAD.findall(fragments[fragment])
    return "\n".join([text, *(fragments[f] for f in sorted(needed))])


async def document(request: Request) -> Response:
    name = request.path_params["name"]
    text = assembled_document(name) if _NAME.match(name) else None
    if text is None:
        return error_response(404, "NOT_FOUND", "no such document")
    return PlainTextResponse(text, headers={"Cache-Control": "no-cache"})


async def static(request: Request) -> Response:
    """index.html at "/", other files by name; nothing outside app/web/."""
    target = _served_file(request.path_params.get("path") or "index.html")
    if target is None:
        return error_response(404, "NOT_FOUND", "not found")
    return FileResponse(target, media_type=_TYPES[target.suffix], headers=_SECURITY_HEADERS)


def _served_file(relative: str) -> Path | None:
    """The file under app/web/ that ``relative`` names, or None: never a path outside it."""
    if not _STATIC_PATH.fullmatch(relative):
        return None
    try:
        target = (WEB_ROOT / relative).resolve()  # a symlink may still point elsewhere: checked below
        if WEB_ROOT.resolve() not in target.parents or target.suffix not in _TYPES or not target.is_file():
            return None
    except (OSError, ValueError):
        return None
    return target
