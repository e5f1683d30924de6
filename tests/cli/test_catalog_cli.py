"""`keyplane catalog import FILE.json` / `catalog export`, run in process (app.cli.main), which opens
and closes the database itself: a valid file replaces the catalog; a bad one is one line on stderr, exit
status 2, and the catalog as it was."""
from __future__ import annotations

import json

import pytest

from app.cli import main
from app.domain.catalog import catalog_to_json, load_default_catalog

DEFAULT = catalog_to_json(load_default_catalog())
NEW = {"models": [
    {"id": "acme/small", "offers": [
        {"provider": "acme-cloud", "inputPricePerMillion": "0", "outputPricePerMillion": "0"},
        {"provider": "openai", "inputPricePerMillion": "0.125", "outputPricePerMillion": "1"},
    ]},
]}


@pytest.fixture
def cli(empty_database_url, capsys):
    """Runs the CLI against a database of its own (KEYPLANE_DATABASE_URL); returns (exit status, stdout, stderr)."""
    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        status = main(list(argv))
        out, err = capsys.readouterr()
        return status, out, err

    return run


def exported(cli) -> dict:
    status, out, _ = cli("catalog", "export")
    assert status == 0
    return json.loads(out)


def write(tmp_path, name: str, content) -> str:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


def test_a_fresh_database_has_the_shipped_catalog(cli):
    assert exported(cli) == DEFAULT


def test_import_replaces_the_whole_catalog(cli, tmp_path):
    status, out, err = cli("catalog", "import", write(tmp_path, "new.json", NEW))
    assert status == 0 and out == ""
    assert "1 models, 2 offers" in err
    assert exported(cli) == NEW


@pytest.mark.parametrize("content, message", [
    ("{not json", "is not valid JSON"),
    ({"models": []}, "models: must not be empty"),
    ({"models": [NEW["models"][0], NEW["models"][0]]}, "duplicate model id 'acme/small'"),
    ({"models": [{"id": "a/b", "offers": [{"provider": "p", "inputPricePerMillion": "-1", "outputPricePerMillion": "0"}]}]},
     "must not be negative"),
    ({"models": [{"id": "a/b", "offers": [{"provider": "p", "inputPricePerMillion": 0.5, "outputPricePerMillion": "0"}]}]},
     "must be a decimal string"),
    ({"models": [{"id": "a/*", "offers": [{"provider": "p", "inputPricePerMillion": "1", "outputPricePerMillion": "0"}]}]},
     "must not end with '*'"),
    ({"models": [{"id": "a/b", "offers": []}]}, "offers: must not be empty"),
    ({"models": [{"id": "a/b", "offers": [{"provider": "p", "inputPricePerMillion": "1"}]}]},
     "outputPricePerMillion: is required"),
    ({"modles": []}, "models: is required"),
])
def test_a_bad_file_is_refused_and_changes_nothing(cli, tmp_path, content, message):
    assert cli("catalog", "import", write(tmp_path, "new.json", NEW))[0] == 0
    status, out, err = cli("catalog", "import", write(tmp_path, "bad.json", content))
    assert status == 2 and out == ""
    assert err.startswith("keyplane: error: ") and err.count("\n") == 1
    assert message in err
    assert exported(cli) == NEW


def test_a_missing_file_is_refused(cli, tmp_path):
    status, out, err = cli("catalog", "import", str(tmp_path / "nope.json"))
    assert status == 2 and out == "" and "cannot read" in err
    assert exported(cli) == DEFAULT
