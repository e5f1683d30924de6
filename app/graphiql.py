"""GraphiQL, served entirely by keyplane: the page at ``GET /graphql`` (a browser asking for HTML)
and its files at ``/graphiql/…`` from ``app/graphiql_static/`` (the vendored npm builds are
described in its ``vendor/README.md``). Nothing is loaded from elsewhere, so it works on
air-gapped machines, and the page's Content Security Policy forbids any other origin."""
from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from app.http_errors import error_response, graphql_error_response

ROOT = Path(__file__).resolve().parent / "graphiql_static"
_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
# Scripts and styles from keyplane's own files only (GraphiQL sets element styles through the DOM,
# which a CSP allows); its fonts are data: URLs inside graphiql.min.css.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self' data:;"
    " img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def page(settings) -> Response:
    if not settings.graphiql:
        return graphql_error_response(404, "NOT_FOUND", "GraphiQL is turned off")
    return FileResponse(ROOT / "index.html", media_type=_TYPES[".html"], headers={**_HEADERS, "Cache-Control": "no-cache"})


async def asset(request: Request) -> Response:
    """A file of app/graphiql_static/ by name; nothing outside it, nothing but HTML, JS and CSS."""
    settings = request.app.state.settings
    target = (ROOT / request.path_params["path"]).resolve()
    if not settings.graphiql or ROOT not in target.parents or not target.is_file() or target.suffix not in _TYPES:
        return error_response(404, "NOT_FOUND", "not found")
    return FileResponse(target, media_type=_TYPES[target.suffix], headers={**_HEADERS, "Cache-Control": "public, max-age=3600"})
