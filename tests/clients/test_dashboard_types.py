"""The dashboard's GraphQL calls (app/web/api.js, plain ES modules) are typed from the generated
TypeScript through JSDoc: tsc --checkJs accepts the dashboard as it is and refuses a call with
an unknown operation, a misspelt variable or a misused result, in any file of app/web (not only
api.js)."""
from __future__ import annotations

import shutil
import subprocess

from tests.clients.conftest import CLIENTS, REPO, require

TYPESCRIPT = CLIENTS / "typescript"
TSC = TYPESCRIPT / "node_modules" / ".bin" / "tsc"
OPTIONS = ["--noEmit", "--allowJs", "--checkJs", "--strict", "false", "--skipLibCheck", "--target", "es2022",
           "--module", "es2022", "--moduleResolution", "bundler", "--lib", "es2022,dom", "--types", ""]


def tsc(*arguments: str, cwd=TYPESCRIPT) -> subprocess.CompletedProcess:
    require(TSC.exists(), "clients/typescript/node_modules is missing: (cd clients/typescript && npm ci)")
    return subprocess.run([str(TSC), *arguments], cwd=cwd, capture_output=True, text=True, timeout=300)


def caller(tmp_path, body: str):
    path = tmp_path / "caller.js"
    path.write_text(f"// @ts-check\nimport {{ run, mutate }} from '{REPO / 'app' / 'web' / 'api.js'}';\n{body}\n")
    return path


def test_the_dashboard_type_checks_against_the_generated_operations():
    result = tsc("-p", "tsconfig.web.json")
    assert result.returncode == 0, result.stdout + result.stderr


def test_well_typed_calls_pass(tmp_path):
    path = caller(tmp_path, """
export async function f() {
  const data = await run('ApiKey', { id: 'QXBpS2V5OjE' });
  const name = data.apiKey?.name.trim();
  const payload = await mutate('RenameApiKey', { id: 'QXBpS2V5OjE', name: 'x' });
  return [name, payload.errors.map((e) => e.code)];
}""")
    result = tsc(*OPTIONS, str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_wrong_calls_are_refused(tmp_path):
    path = caller(tmp_path, """
export async function f() {
  await run('NoSuchOperation');
  await run('ApiKey', { idd: 'QXBpS2V5OjE' });
  const data = await run('Organization');
  data.organization.projects[0].nmae;
  await mutate('CreateApiKey', { projectId: 'p', name: 'k', allTimeLimit: 5 });
}""")
    result = tsc(*OPTIONS, str(path), cwd=tmp_path)
    assert result.returncode != 0
    lines = {int(line.split("(")[1].split(",")[0]) for line in result.stdout.splitlines() if "caller.js(" in line}
    assert lines == {5, 6, 8, 9}, result.stdout  # each wrong call, and only those


def test_every_file_of_the_dashboard_is_checked(tmp_path):
    """A misspelt field of an API result in a dialog module (not api.js) fails tsconfig.web.json."""
    require(TSC.exists(), "clients/typescript/node_modules is missing: (cd clients/typescript && npm ci)")
    shutil.copytree(REPO / "app" / "web", tmp_path / "app" / "web")
    typescript = tmp_path / "clients" / "typescript"
    shutil.copytree(TYPESCRIPT / "src", typescript / "src")
    shutil.copy(TYPESCRIPT / "tsconfig.web.json", typescript)
    (typescript / "node_modules").symlink_to(TYPESCRIPT / "node_modules", target_is_directory=True)
    module = tmp_path / "app" / "web" / "dialogs" / "rename.js"
    source = module.read_text()
    assert source.count("payload.apiKey.name") == 1
    module.write_text(source.replace("payload.apiKey.name", "payload.apiKey.nmae"))
    planted = next(n for n, line in enumerate(module.read_text().splitlines(), 1) if "apiKey.nmae" in line)

    result = tsc("-p", "tsconfig.web.json", cwd=typescript)
    assert result.returncode != 0, result.stdout + result.stderr
    errors = [line for line in result.stdout.splitlines() if "error TS" in line]
    assert errors, result.stdout + result.stderr
    # the planted mistake, and nothing else of the copy
    assert all(line.startswith(f"../../app/web/dialogs/rename.js({planted},") for line in errors), result.stdout
    assert any("'nmae'" in line for line in errors), result.stdout
