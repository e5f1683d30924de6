"""The graphql-http audit (npm package graphql-http, ``auditServer``) against a live keyplane,
with a valid management token: every MUST and every SHOULD passes (no error, no warning)."""
from __future__ import annotations

from tests.graphql_http.conftest import json_lines


def test_graphql_http_audit_passes_without_warnings(run_node):
    results = json_lines(run_node("audit.mjs"))
    assert len(results) > 50, results  # the whole audit ran
    failures = [r for r in results if r["status"] in ("error", "warn")]
    assert failures == [], "\n".join(f"{r['status']} {r['id']} {r['name']}: {r['reason']}" for r in failures)
    must_and_should = [r for r in results if r["name"].startswith(("MUST", "SHOULD"))]
    assert must_and_should and all(r["status"] == "ok" for r in must_and_should)
