"""The layering rules of README.md's architecture section, checked on the source (AST, no import):

- SQL lives in app/store/ only: no string constant outside it starts with an SQL keyword;
- imports point one way: adapters (schema/, resolvers/, app/dataplane, app/web) -> services
  (app/services) -> domain (app/domain, pure) / store (app/store);
- imports sit at the top of a module, apart from a named few.

Each check is a function over (module name, source) pairs, so that the tests below can also run
it on a planted violation and prove it catches one.
"""
from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path
from typing import Iterable

ROOT = Path(__file__).resolve().parents[2]
CHECKED = ("app", "schema", "resolvers")

SQL_START = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH|CREATE|ALTER|DROP)\s+\S")

# modules that may hold SQL outside app/store (each one a temporary, named exception)
SQL_ALLOWED: frozenset[str] = frozenset()

# layer (a module prefix) -> the prefixes it must not import
FORBIDDEN_IMPORTS: dict[str, tuple[str, ...]] = {
    "app.domain": ("app.services", "app.store", "app.dataplane", "schema", "resolvers"),
    "app.store": ("app.services", "app.dataplane", "schema", "resolvers"),
    "app.services": ("app.dataplane", "schema", "resolvers", "app.web"),
}

# (module, imported module) pairs that may be imported inside a function
FUNCTION_IMPORTS_ALLOWED: frozenset[tuple[str, str]] = frozenset({
    ("app.dataplane.errors", "asyncpg"),  # an optional driver: only there when PostgreSQL is used
})


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def sources(root: Path = ROOT, packages: Iterable[str] = CHECKED) -> list[tuple[str, str]]:
    """(module name, source) of every Python file of the checked packages."""
    found = []
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            found.append((module_name(path, root), path.read_text()))
    return found


def _in(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _imported(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The modules an import statement names (``from a import b`` names ``a`` and ``a.b``: b may be a module)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:  # relative: resolve against the importing module's package
        # (as from a module file; the checked packages use no relative imports today)
        package = module.split(".")[: -node.level]
        base = ".".join(package + ([base] if base else []))
    return [base] + [f"{base}.{alias.name}" for alias in node.names if alias.name != "*"]


# --- the checks ------------------------------------------------------------------------------

def sql_outside_store(files: Iterable[tuple[str, str]], allowed: frozenset[str] = SQL_ALLOWED) -> list[str]:
    """Every string constant (f-strings' constant parts included) outside app.store that starts
    with an SQL keyword: 'module:line: text'."""
    found = []
    for module, source in files:
        if _in(module, "app.store") or module in allowed:
            continue
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL_START.match(node.value):
                found.append(f"{module}:{node.lineno}: {node.value.strip()[:60]}")
    return found


def forbidden_imports(files: Iterable[tuple[str, str]],
                      rules: dict[str, tuple[str, ...]] = FORBIDDEN_IMPORTS) -> list[str]:
    """Every import of a layer that points the wrong way: 'module:line: imports target'."""
    found = []
    for module, source in files:
        banned = [b for layer, targets in rules.items() if _in(module, layer) for b in targets]
        if not banned:
            continue
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target in _imported(module, node):
                    if any(_in(target, b) for b in banned):
                        found.append(f"{module}:{node.lineno}: imports {target}")
                        break
    return found


def function_imports(files: Iterable[tuple[str, str]],
                     allowed: frozenset[tuple[str, str]] = FUNCTION_IMPORTS_ALLOWED) -> list[str]:
    """Every import statement inside a function (or method) that is not allowlisted."""
    found = []
    for module, source in files:
        for func in ast.walk(ast.parse(source)):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom):
                    names = [_imported(module, node)[0]]
                else:
                    continue
                for name in names:
                    if (module, name) not in allowed:
                        found.append(f"{module}:{node.lineno}: imports {name} inside a function")
    return sorted(set(found))


# --- the import graph between layers (for reading, not a check) -------------------------------

LAYERS = ("app.domain", "app.store", "app.services", "app.dataplane", "app.web", "schema", "resolvers")


def layer_of(module: str) -> str:
    for layer in LAYERS:
        if _in(module, layer):
            return layer
    if module.startswith("app."):
        return ".".join(module.split(".")[:2])  # a top-level module of app (app.server, app.models, ...)
    return ""


def import_graph(files: Iterable[tuple[str, str]] | None = None) -> dict[str, dict[str, int]]:
    """Layer (or top-level app module) -> the layers it imports and how many import statements do."""
    graph: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for module, source in files if files is not None else sources():
        here = layer_of(module)
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                targets = {layer_of(t) for t in _imported(module, node)} - {"", here}
                if isinstance(node, ast.ImportFrom) and node.module == "app":
                    targets -= {"app"}  # 'from app import models' names the modules
                for target in targets:
                    graph[here][target] += 1
    return {k: dict(sorted(v.items())) for k, v in sorted(graph.items())}


def print_import_graph() -> None:
    for layer, targets in import_graph().items():
        print(f"{layer:24} -> " + ", ".join(f"{t} ({n})" for t, n in targets.items()))


# --- the tests ----------------------------------------------------------------------------------

def test_no_sql_outside_store():
    assert sql_outside_store(sources()) == []


def test_imports_point_one_way():
    assert forbidden_imports(sources()) == []


def test_no_imports_inside_functions():
    assert function_imports(sources()) == []


def test_sql_check_catches_a_planted_statement():
    planted = [
        ("app.services.planted", 'async def f(tx):\n    await sql.execute(tx, "SELECT 1")\n'),
        ("app.dataplane.planted", 'Q = (\n    "  update api_keys"[:0] + "\\n UPDATE api_keys SET x = 1"\n)\n'),
        ("schema.planted", 'def q(where):\n    return f"DELETE FROM changes WHERE {where}"\n'),
        ("resolvers.planted", 'DDL = """\n    CREATE TABLE t (id INT)\n"""\n'),
    ]
    found = sql_outside_store(planted)
    assert [f.split(":")[0] for f in found] == [m for m, _ in planted]
    # the same statement is fine in the store, and words that merely look like SQL are not SQL
    assert sql_outside_store([("app.store.planted", 'S = "SELECT 1"\n')]) == []
    assert sql_outside_store([("app.dataplane.planted", 'M = ["GET", "DELETE"]\nT = "Select a key"\n')]) == []
    assert sql_outside_store([("app.services.planted", 'S = "SELECT 1"\n')], allowed=frozenset({"app.services.planted"})) == []


def test_import_check_catches_a_planted_import():
    planted = [
        ("app.domain.planted", "from app.store import sql\n"),
        ("app.domain.planted2", "import app.services.keys\n"),
        ("app.store.planted", "from app.services.errors import not_found\n"),
        ("app.store.planted2", "from ..dataplane import cache\n"),
        ("app.services.planted", "from app.dataplane.cache import KeyCache\n"),
        ("app.services.planted2", "from schema import types\n"),
        ("app.services.planted3", "from app import web\n"),
    ]
    found = forbidden_imports(planted)
    assert [f.split(":")[0] for f in found] == [m for m, _ in planted]
    # the allowed directions
    allowed = [
        ("app.services.ok", "from app.store import sql\nfrom app.domain import money\n"),
        ("app.store.ok", "from app.domain import windows\nfrom app import models\n"),
        ("app.dataplane.ok", "from app.services import authorize\nfrom app.store import changes\n"),
        ("app.domain.ok", "from app.domain import money\nimport re\n"),
        ("app.services.ok2", "from app import webhooks_x\n"),  # not app.web
    ]
    assert forbidden_imports(allowed) == []


def test_function_import_check_catches_a_planted_import():
    planted = [("app.services.planted", "def f():\n    import json\n    return json\n"),
               ("app.store.planted", "class C:\n    async def m(self):\n        from app.store import sql\n")]
    found = function_imports(planted)
    assert [f.split(":")[0] for f in found] == ["app.services.planted", "app.store.planted"]
    assert function_imports([("app.x", "import json\ntry:\n    import ujson\nexcept ImportError:\n    pass\n")]) == []
    assert function_imports([("app.dataplane.errors", "def f():\n    import asyncpg\n")]) == []
