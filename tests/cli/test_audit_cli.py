"""Operator CLI actions write exactly one audit event each (actor OPERATOR); refused ones none."""
import json

from app import models
from tests.cli.test_cli import query, run


def audit_rows(url):
    return query(url, lambda: models.AuditEvent.all().order_by("id").values())


def test_each_cli_change_writes_one_operator_event(empty_database_url, capsys):
    url = empty_database_url
    steps = [
        (["org", "create", "acme", "--plan", "pro"], "PLAN_CHANGED", {"plan": [None, "PRO"]}),
        (["org", "set-plan", "acme", "--plan", "enterprise", "--key-limit", "7"], "PLAN_CHANGED",
         {"plan": ["PRO", "ENTERPRISE"], "keyLimit": [None, "7"]}),
        (["token", "create", "--org", "acme", "--label", "ci"], "TOKEN_CREATED",
         {"kind": [None, "management"], "label": [None, "ci"]}),
    ]
    secret = None
    for argv, action, expected in steps:
        before = len(audit_rows(url))
        code, out, _ = run(capsys, *argv)
        assert code == 0
        if argv[0] == "token":
            secret = out.strip()
        rows = audit_rows(url)
        assert len(rows) == before + 1, argv
        event = rows[-1]
        assert (event["action"], event["actor_kind"], event["actor_token_id"]) == (action, "OPERATOR", None)
        assert {c["field"]: [c["before"], c["after"]] for c in json.loads(event["changes"])} == expected
    org_id = rows[-1]["org_id"]
    assert org_id is not None and all(row["org_id"] == org_id for row in rows)

    code, _, _ = run(capsys, "token", "revoke", secret)
    assert code == 0
    event = audit_rows(url)[-1]
    assert event["action"] == "TOKEN_REVOKED" and event["target_id"] == rows[-1]["target_id"]
    assert [c["field"] for c in json.loads(event["changes"])] == ["revokedAt"]
    dump = json.dumps(audit_rows(url))
    assert secret[4:] not in dump and secret[:8] not in dump  # neither the token nor its hint


def test_refused_cli_actions_write_no_event(empty_database_url, capsys):
    url = empty_database_url
    run(capsys, "org", "create", "acme")
    before = audit_rows(url)
    for argv in (["org", "create", "acme"], ["org", "set-plan", "acme", "--plan", "gold"],
                 ["org", "set-plan", "nobody", "--plan", "pro"], ["token", "create", "--org", "nobody"],
                 ["token", "revoke", "999"]):
        code, _, _ = run(capsys, *argv)
        assert code == 2, argv
    assert audit_rows(url) == before
