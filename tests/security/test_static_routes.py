"""The unauthenticated routes that serve files (``/``, ``/ui/…``, ``/documents/…``) under hostile
paths: traversal, NUL, overlong names, odd encodings. Never a 5xx, never a file from outside the
served folders. Requests go to the ASGI app as a server would hand them over (the path
percent-decoded the way uvicorn does it), so no client library tidies them up first."""
from __future__ import annotations

import asyncio
from urllib.parse import unquote

from hypothesis import HealthCheck, given, settings, strategies as st

from app.web import WEB_ROOT, assembled_document

SERVED = {p.read_bytes() for p in WEB_ROOT.iterdir() if p.is_file()}
DOCUMENTS = {assembled_document(p.stem).encode() for p in (WEB_ROOT.parent.parent / "graphql" / "queries").glob("*.graphql")}


async def get(app, raw_path: str) -> tuple[int, bytes]:
    """One GET straight into the ASGI app, as uvicorn builds its scope from the request line."""
    raw = raw_path.encode("latin-1", "replace")
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": unquote(raw.decode("ascii", "replace")), "raw_path": raw, "query_string": b"", "root_path": "",
             "headers": [(b"host", b"keyplane.test")], "client": ("127.0.0.1", 1), "server": ("keyplane.test", 80)}
    sent: list[dict] = []
    done = asyncio.Event()
    requested = False

    async def receive():
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()  # the client stays connected until the response is complete
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            done.set()

    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    return status, b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


segments = st.one_of(
    st.sampled_from(["..", ".", "%2e%2e", "%2E%2E", ".%2e", "%00", "a%00.js", "%2f", "%5c", "\\..\\", "%c0%ae%c0%ae",
                     "%e0%80%ae", "%ff", "index.html", "app.js", "styles.css", "..%2f..%2fpyproject.toml", "~", "*",
                     "etc", "passwd", "%252e%252e", "ApiKey.graphql", "x" * 300, "a" * 5000, "%20", ".git", "web"]),
    st.text(min_size=1, max_size=30).map(lambda t: "".join(f"%{b:02x}" for b in t.encode("utf-8", "surrogatepass"))),
    st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126, blacklist_characters="?#"), max_size=20),
)
paths = st.tuples(st.sampled_from(["/", "/ui/", "/documents/", "/ui/../", "//"]), st.lists(segments, max_size=6),
                  st.sampled_from(["", ".graphql", ".js", "/"])).map(lambda t: t[0] + "/".join(t[1]) + t[2])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=paths)
async def test_hostile_paths_never_fail_and_never_leave_the_served_folders(app, path):
    status, body = await get(app, path)
    assert status < 500, (path, status, body[:200])
    if status == 200:
        assert body in SERVED or body in DOCUMENTS, path


async def test_the_reported_paths_answer_404(app):
    for path in ("/ui/%00", "/ui/%00.js", "/ui/../../pyproject.toml", "/ui/%2e%2e/%2e%2e/pyproject.toml",
                 "/ui/..%2f..%2fREADME.md", "/ui/" + "a" * 5000 + ".js", "/ui/app.js%00.html", "/documents/%00.graphql",
                 "/ui/%c0%ae%c0%ae/server.py", "/ui/../server.py", "/ui/app.js/", "/ui/./app.js/../../cli.py"):
        status, _ = await get(app, path)
        assert status == 404, path


async def test_the_dashboard_is_still_served(app):
    assert await get(app, "/") == (200, (WEB_ROOT / "index.html").read_bytes())
    assert await get(app, "/ui/app.js") == (200, (WEB_ROOT / "app.js").read_bytes())
    status, body = await get(app, "/documents/ApiKey.graphql")
    assert status == 200 and b"query ApiKey(" in body
