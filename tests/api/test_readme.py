"""The README and docs/ stand alone and say what the code does: nothing points outside the
repo, every link resolves, and the data plane's codes, fields and metrics are all described."""
from __future__ import annotations

import json
import re
from pathlib import Path

from app.cli import where_to_go
from app.domain import decision
from app.domain.catalog import parse_catalog
from app.metrics import Metrics

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "test-artifacts", ".pytest_cache", ".hypothesis", "__pycache__"}
TEXT_SUFFIXES = {".py", ".md", ".graphql", ".js", ".html", ".css", ".toml", ".json", ".txt", ".cfg", ".yml", ".yaml", ""}
# spelled in pieces so that this file does not match itself
OUTSIDE = re.compile(r"\.\./" + "shared|/wo" + r"rk/|\bshared/(?:spec|tools)\b")


def _repo_files():
    """The files of the repo: tracked by git (what a clone has), not what tools left beside them."""
    import subprocess

    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in tracked.decode().split("\0"):
        path = ROOT / name
        if name and path.is_file() and not SKIP_DIRS & set(path.relative_to(ROOT).parts) and path.suffix in TEXT_SUFFIXES:
            yield path


def _section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end != -1 else None]


def test_nothing_in_the_repo_points_outside_it():
    offenders = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
                 for path in _repo_files()
                 for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1) if OUTSIDE.search(line)]
    assert offenders == []


def test_every_relative_link_of_the_docs_resolves():
    for doc in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        for target in re.findall(r"\]\(([^)#]+)\)", doc.read_text()):
            if not re.match(r"[a-z]+://", target):
                assert (doc.parent / target).exists(), f"{doc.name} links to missing {target}"


def test_every_authorize_code_is_explained_with_what_the_gateway_should_do():
    section = _section("Data plane reference")
    codes = {value for name, value in vars(decision).items() if name.isupper() and isinstance(value, str)}
    codes.add("DUPLICATE_REQUEST_ID")   # the contract's rules added after the first release
    assert codes >= {"VALID", "FORBIDDEN", "PERIOD_USAGE_EXCEEDED"}
    for code in codes:
        assert re.search(rf"^\| `{code}` \| (yes|no) \|.+\|.+\|$", section, re.M), f"{code} has no row"


def test_the_usage_fields_and_per_event_codes_are_described():
    section = _section("Data plane reference")
    usage = section[section.index("### `POST /v1/usage`"):]
    field_rows = [line.split(" | ")[0] for line in usage.splitlines() if line.startswith("| `")]
    for name in ("keyId", "requestId", "cost", "model", "provider", "source", "occurredAt"):
        assert any(f"`{name}`" in row for row in field_rows), name
    for phrase in ('{"events": [', "CREDITS", "PROVIDER_KEY", "`NOT_FOUND`", "`VALIDATION`", "`LIMIT_OVERFLOW`",
                   "recorded: false", "BAD_REQUEST"):
        assert phrase in section, phrase


def test_every_metric_is_described():
    section = _section("Metrics")
    exposed = {metric.name + ("_total" if metric.type == "counter" else "")
               for metric in Metrics().registry.collect()}
    assert len(exposed) >= 7
    for name in exposed:
        assert f"`{name}" in section, name


def test_the_catalog_example_is_a_catalog_keyplane_accepts():
    section = _section("Model catalog file")
    example = re.search(r"```json\n(.*?)```", section, re.S).group(1)
    catalog = parse_catalog(json.loads(example))
    assert catalog.has_model("openai/gpt-4o") and catalog.offer("meta/llama-3.1-8b-instruct", "groq").pricing == "FREE"


def test_the_start_lines_shown_are_those_serve_prints():
    assert where_to_go("127.0.0.1", 8000, True) in README
    assert "--host" in _section("Quick start") and "--port" in _section("Quick start")


def _rule_table_rows() -> list[str]:
    start = README.index("\n### Where each rule lives\n")
    end = README.index("\n## ", start)
    return [line for line in README[start:end].splitlines() if line.startswith("| ") and not line.startswith("| rule")]


def _defines(path: Path, name: str) -> bool:
    text = path.read_text()
    return re.search(rf"^\s*(?:async def|def|class) {re.escape(name)}\b|^{re.escape(name)}\s*[:=]", text, re.M) is not None


def test_the_rule_table_names_files_and_functions_that_exist():
    """Every `file: function` and `tests/…::test` the table names is there (a rename updates the table)."""
    rows = _rule_table_rows()
    assert len(rows) >= 20
    missing = []
    for row in rows:
        _rule, implemented, pinned = [cell.strip() for cell in row.strip("|").split(" | ")]
        for path, names in re.findall(r"`([\w/.]+\.py)`: ((?:`[\w.]+`(?:, )?)+)", implemented):
            for name in re.findall(r"`([\w.]+)`", names):
                if not _defines(ROOT / path, name):
                    missing.append(f"{path}: {name}")
        for path, test in re.findall(r"`(tests/[\w/]+\.py)(?:::(\w+))?`", pinned):
            if not (ROOT / path).is_file() or (test and not _defines(ROOT / path, test)):
                missing.append(f"{path}::{test}")
    assert missing == []
