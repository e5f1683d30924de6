"""GraphiQL at GET /graphql works with no network beyond keyplane: every request the page makes
to another origin is aborted (and recorded), and the page still loads, takes an Authorization
header, runs a query and shows its result, under its Content Security Policy."""
from __future__ import annotations

import json

from playwright.sync_api import expect

QUERY = "{ organization { name plan } }"


def set_editor(page, selector: str, text: str) -> None:
    """Replace the text of the visible GraphiQL editor under selector (CodeMirror's own API: typing
    would fight its auto-closing brackets)."""
    editor = page.locator(f"{selector} .CodeMirror:visible")
    editor.wait_for()
    editor.evaluate("(node, text) => node.CodeMirror.setValue(text)", text)


def test_graphiql_runs_a_query_with_no_network_beyond_keyplane(page, site, shots):
    elsewhere: list[str] = []
    sent: list[dict] = []

    def only_keyplane(route) -> None:
        url = route.request.url
        if url.startswith(site.url + "/") or url.startswith("data:"):
            route.continue_()
        else:
            elsewhere.append(url)
            route.abort()

    page.context.route("**/*", only_keyplane)
    page.add_init_script("window.__violations = []; document.addEventListener('securitypolicyviolation',"
                         " (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));")
    page.on("request", lambda request: sent.append({"url": request.url, "headers": request.headers})
            if request.url.endswith("/graphql") and request.method == "POST" else None)

    response = page.goto(f"{site.url}/graphql")
    assert response.status == 200
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "connect-src 'self'" in policy and "default-src 'none'" in policy
    expect(page.locator(".graphiql-container")).to_be_visible()
    expect(page.get_by_text("Loading…")).to_have_count(0)

    page.get_by_role("button", name="Headers", exact=True).click()
    set_editor(page, ".graphiql-editor-tool", json.dumps({"Authorization": f"Bearer {site.management}"}))
    set_editor(page, ".graphiql-query-editor", QUERY)
    page.locator(".graphiql-execute-button").click()

    result = page.locator(".graphiql-response")
    expect(result).to_contain_text('"name": "default"')
    expect(result).to_contain_text('"plan": "FREE"')
    shots(page, "graphiql-offline")
    assert any(r["headers"].get("authorization") == f"Bearer {site.management}" for r in sent), sent
    assert elsewhere == []  # nothing was even attempted off keyplane's origin
    assert page.evaluate("() => window.__violations") == []  # and the strict CSP blocked nothing
    # the header lives in the tab's sessionStorage only, as the dashboard's token does
    assert site.management not in page.evaluate("() => JSON.stringify(localStorage)")
    assert site.management in page.evaluate("() => JSON.stringify(sessionStorage)")


def test_graphiql_files_are_served_by_keyplane_only(site):
    page = site.server.http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    html = page.text
    assert "http://" not in html and "https://" not in html and "<script>" not in html
    for path in ("/graphiql/vendor/react.production.min.js", "/graphiql/vendor/react-dom.production.min.js",
                 "/graphiql/vendor/graphiql.min.js", "/graphiql/vendor/graphiql.min.css", "/graphiql/setup.js"):
        assert path in html
        assert site.server.http.get(path).status_code == 200
    for path in ("/graphiql/../server.py", "/graphiql/vendor/README.md", "/graphiql/vendor/LICENSE-react", "/graphiql/nope.js"):
        assert site.server.http.get(path).status_code == 404
