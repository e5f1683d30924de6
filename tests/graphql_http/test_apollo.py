"""Apollo Client's PersistedQueryLink (automatic persisted queries, hashed queries over GET)
against a live keyplane: the first query is refused as unknown and sent again with its
document, later ones travel as a hash alone; mutations work through the link too."""
from __future__ import annotations

from tests.graphql_http.conftest import json_lines


def test_apollo_persisted_queries_work(run_node):
    (outcome,) = json_lines(run_node("apollo_apq.mjs"))
    assert "error" not in outcome, outcome
    first, second, created = outcome["results"]
    assert first == second == {"organization": {"__typename": "Organization", "name": "clients"}}
    assert created["createProject"]["project"]["name"] == "apollo" and created["createProject"]["errors"] == []
    requests = outcome["requests"]
    # query 1: the hash alone over GET (unknown), then the document with its hash
    assert requests[0] == {"method": "GET", "sentQuery": False, "hashed": True, "status": requests[0]["status"]}
    assert requests[1]["sentQuery"] and requests[1]["hashed"] and requests[1]["status"] == 200
    # query 2: the hash alone over GET is enough now
    assert requests[2] == {"method": "GET", "sentQuery": False, "hashed": True, "status": 200}
    # the mutation goes over POST (never GET), hashed first
    assert all(r["method"] == "POST" for r in requests[3:]) and requests[3]["hashed"]
