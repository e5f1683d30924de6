"""The operator CLI: ids and secrets alone on stdout, one-line errors with exit status 2, nothing changed on error."""
import asyncio
import json
import os
import subprocess
import sys

import pytest

from app import cli, db, models
from app.settings import Settings


def run(capsys, *argv):
    """Run the CLI in process; argparse's own errors exit through SystemExit."""
    try:
        code = cli.main(list(argv))
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def query(url, work):
    async def go():
        await db.open_database(Settings(database_url=url), 0)
        try:
            return await work()
        finally:
            await db.close_database()

    return asyncio.run(go())


def assert_one_line_error(code, out, err, fragment):
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("keyplane: error:") and fragment in err


def test_org_create_prints_the_id_alone(empty_database_url, capsys):
    code, out, err = run(capsys, "org", "create", "acme", "--plan", "pro")
    assert code == 0 and out.strip() and "\n" not in out.strip()
    assert out.strip() == "T3JnYW5pemF0aW9uOjE"  # the Organization's global id
    orgs = query(empty_database_url, lambda: models.Organization.all().values("name", "plan", "key_limit_override"))
    assert orgs == [{"name": "acme", "plan": "PRO", "key_limit_override": None}]


@pytest.mark.parametrize("argv,fragment", [
    (["org", "create", "acme"], "already exists"),
    (["org", "create", "other", "--plan", "gold"], "unknown plan"),
    (["org", "create", "other", "--key-limit", "-1"], "key limit"),
    (["org", "create", ""], "organization name"),
    (["org", "set-plan", "nobody", "--plan", "pro"], "not found"),
    (["org", "set-plan", "acme", "--plan", "platinum"], "unknown plan"),
    (["token", "create", "--org", "nobody"], "not found"),
    (["token", "revoke", "999"], "no such token"),
    (["token", "revoke", "kpm_doesnotexist"], "no such token"),
    (["token", "create"], "one of the arguments"),
    (["catalog", "import", "/nonexistent.json"], "cannot read"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_input_is_one_line_exit_2_and_changes_nothing(empty_database_url, capsys, argv, fragment):
    assert run(capsys, "org", "create", "acme")[0] == 0
    before = query(empty_database_url, lambda: models.Organization.all().values())
    tokens_before = query(empty_database_url, lambda: models.Token.all().count())
    code, out, err = run(capsys, *argv)
    assert_one_line_error(code, out, err, fragment)
    assert query(empty_database_url, lambda: models.Organization.all().values()) == before
    assert query(empty_database_url, lambda: models.Token.all().count()) == tokens_before


def test_set_plan_and_override(empty_database_url, capsys):
    run(capsys, "org", "create", "acme")
    code, out, err = run(capsys, "org", "set-plan", "acme", "--plan", "enterprise", "--key-limit", "1000")
    assert code == 0 and out == "" and "enterprise" in err.lower()
    org = query(empty_database_url, lambda: models.Organization.get(name="acme"))
    assert (org.plan, org.key_limit_override) == ("ENTERPRISE", 1000)


def test_tokens_create_list_revoke(empty_database_url, capsys):
    run(capsys, "org", "create", "acme")
    code, management, _ = run(capsys, "token", "create", "--org", "acme", "--label", "ci")
    assert code == 0 and management.startswith("kpm_") and management.count("\n") == 1
    code, gateway, _ = run(capsys, "token", "create", "--gateway", "--label", "edge")
    assert code == 0 and gateway.startswith("kpg_")
    code, listing, _ = run(capsys, "token", "list")
    assert code == 0
    assert management.strip() not in listing and gateway.strip() not in listing
    lines = listing.strip().splitlines()
    assert len(lines) == 2 and "management" in lines[0] and "acme" in lines[0] and "ci" in lines[0]
    assert "gateway" in lines[1] and "edge" in lines[1]
    code, as_json, _ = run(capsys, "token", "list", "--org", "acme", "--json")
    rows = [json.loads(line) for line in as_json.strip().splitlines()]
    assert [r["kind"] for r in rows] == ["management"] and rows[0]["revokedAt"] is None
    assert run(capsys, "token", "revoke", management.strip())[0] == 0
    assert run(capsys, "token", "revoke", str(rows[0]["id"] + 1))[0] == 0  # the gateway token, by id
    code, listing, _ = run(capsys, "token", "list")
    assert listing.count("revoked") == 2


def test_python_dash_m_app_works_end_to_end(empty_database_url, tmp_path):
    env = {**os.environ, "KEYPLANE_DATABASE_URL": empty_database_url}
    created = subprocess.run([sys.executable, "-m", "app", "org", "create", "acme"], capture_output=True, text=True,
                             env=env, cwd=tmp_path, timeout=60)
    assert created.returncode == 0 and created.stdout.strip() == "T3JnYW5pemF0aW9uOjE"
    token = subprocess.run([sys.executable, "-m", "app", "token", "create", "--org", "acme"], capture_output=True,
                           text=True, env=env, cwd=tmp_path, timeout=60)
    assert token.returncode == 0 and token.stdout.startswith("kpm_")
    duplicate = subprocess.run([sys.executable, "-m", "app", "org", "create", "acme"], capture_output=True, text=True,
                               env=env, cwd=tmp_path, timeout=60)
    assert duplicate.returncode == 2 and duplicate.stdout == "" and len(duplicate.stderr.strip().splitlines()) == 1


def test_migrate_on_a_fresh_database(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("KEYPLANE_DATABASE_URL", f"sqlite://{tmp_path}/fresh.sqlite3")
    code, out, err = run(capsys, "migrate")
    assert code == 0 and out == "" and "schema at version" in err


def test_a_bad_database_url_is_a_clear_error(capsys, monkeypatch):
    monkeypatch.setenv("KEYPLANE_DATABASE_URL", "mysql://nope")
    code, out, err = run(capsys, "org", "create", "acme")
    assert_one_line_error(code, out, err, "KEYPLANE_DATABASE_URL")
