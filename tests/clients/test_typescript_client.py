"""The generated TypeScript documents (clients/typescript) against a live server: the smoke
script is compiled with the pinned tsc and run with Node's fetch; it sends every operation of
graphql/queries/, and what it saw must match what the server holds."""
from __future__ import annotations

import json
import os
import shutil
import subprocess

import httpx

from tests.clients.conftest import CLIENTS, require
from tests.clients.test_python_client import operations_in_the_folder
from tests.support.documents import document

TYPESCRIPT = CLIENTS / "typescript"


def compiled_smoke_script(out):
    """tsc (strict) into `out`, beside a node_modules link so that the output resolves its imports."""
    require(shutil.which("node") is not None, "node is missing")
    tsc = TYPESCRIPT / "node_modules" / ".bin" / "tsc"
    require(tsc.exists(), "clients/typescript/node_modules is missing: (cd clients/typescript && npm ci)")
    result = subprocess.run([str(tsc), "-p", "tsconfig.json", "--outDir", str(out / "dist")], cwd=TYPESCRIPT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    (out / "node_modules").symlink_to(TYPESCRIPT / "node_modules")
    (out / "package.json").write_text('{"type": "module"}\n')
    return out / "dist" / "scripts" / "smoke.js"


def graphql(keyplane, name: str, **variables) -> dict:
    response = httpx.post(keyplane.graphql_url, json={"query": document(name), "variables": variables},
                          headers={"Authorization": f"Bearer {keyplane.management}"}, timeout=30)
    body = response.json()
    assert response.status_code == 200 and not body.get("errors"), body
    return body["data"]


def test_the_typescript_documents_drive_a_live_server(keyplane, tmp_path):
    script = compiled_smoke_script(tmp_path)
    environment = {**os.environ, "KEYPLANE_GRAPHQL_URL": keyplane.graphql_url, "KEYPLANE_TOKEN": keyplane.management}
    result = subprocess.run(["node", str(script)], env=environment, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])

    assert seen["secretPrefix"] == "kp_"
    assert seen["allTimeLimit"] == "0.000000001" and seen["recurringAmount"] == "12.5"  # exact, as strings
    assert seen["listedKeyIds"] == [seen["keyId"]]
    assert seen["allTimeLimitAfterRemoval"] is None and seen["recurringAfterRemoval"] == "12.5"
    assert seen["renameErrors"] == [{"code": "VALIDATION", "field": "name"}] and seen["renamed"] is None
    assert seen["deletedId"] == seen["keyId"]
    assert "From TypeScript" in seen["projectNames"]
    assert seen["statuses"] == ["DISABLED", "ACTIVE"]
    assert seen["rules"] == [{"type": "ALLOW_MODELS", "values": ["openai/*"]}]
    assert seen["webhookSecretPrefix"] == "whsec_" and seen["webhookDescription"] == "rotations"
    assert seen["listedWebhookIds"] == [seen["webhookId"]] and seen["deletedWebhookId"] == seen["webhookId"]
    assert seen["rolledSecretPrefix"] == "kp_" and seen["rollAudits"] == 1
    assert seen["deliveryTypes"] == ["KEY_ROLLED"] and seen["resentEventId"] == seen["deliveryEventId"]

    # every operation of graphql/queries/ went out, and nothing else
    expected = operations_in_the_folder()
    assert len(expected) >= 21
    assert set(seen["operations"]) == expected, f"never sent: {sorted(expected - set(seen['operations']))}"

    # and the server agrees
    project = graphql(keyplane, "ProjectApiKeys", projectId=seen["projectId"])["project"]
    assert project["name"] == "From TypeScript" and project["keyCount"] == 0 and project["apiKeys"]["edges"] == []
    assert graphql(keyplane, "ApiKey", id=seen["keyId"])["apiKey"] is None
    assert graphql(keyplane, "ProjectWebhooks", projectId=seen["projectId"])["project"]["webhooks"] == []


def test_a_wrong_token_is_refused_with_a_request_error(keyplane, tmp_path):
    script = compiled_smoke_script(tmp_path)
    environment = {**os.environ, "KEYPLANE_GRAPHQL_URL": keyplane.graphql_url, "KEYPLANE_TOKEN": "kpm_wrong"}
    result = subprocess.run(["node", str(script)], env=environment, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "KeyplaneRequestError" in result.stderr
    assert graphql(keyplane, "Organization")["organization"]["projects"] == []


def readme_typescript_example() -> str:
    """The README's TypeScript example, as a user copies it (the first ts block of "Clients")."""
    section = (CLIENTS.parent / "README.md").read_text().split("## Clients", 1)[1]
    return section.split("```ts\n", 1)[1].split("```", 1)[0]


def test_the_readmes_typescript_example_type_checks_and_works_against_a_live_server(keyplane, tmp_path):
    """Compiled with the pinned strict tsc beside the client's sources and run with Node, with only
    the server's address changed and its two free variables (token, projectId) given."""
    require(shutil.which("node") is not None, "node is missing")
    tsc = TYPESCRIPT / "node_modules" / ".bin" / "tsc"
    require(tsc.exists(), "clients/typescript/node_modules is missing: (cd clients/typescript && npm ci)")
    example = readme_typescript_example()
    assert '"http://127.0.0.1:8000/graphql"' in example
    shutil.copytree(TYPESCRIPT / "src", tmp_path / "src")
    (tmp_path / "node_modules").symlink_to(TYPESCRIPT / "node_modules")
    (tmp_path / "package.json").write_text('{"type": "module"}\n')
    config = json.loads((TYPESCRIPT / "tsconfig.json").read_text())
    config["include"] = ["src/**/*.ts", "readme.ts"]
    (tmp_path / "tsconfig.json").write_text(json.dumps(config))
    imports = "".join(line + "\n" for line in example.splitlines() if line.startswith("import "))
    body = "".join(line + "\n" for line in example.splitlines() if not line.startswith("import "))
    (tmp_path / "readme.ts").write_text(
        imports
        + "const token = process.env.KEYPLANE_TOKEN ?? '';\nconst projectId = process.env.KEYPLANE_PROJECT_ID ?? '';\n"
        + body.replace("http://127.0.0.1:8000/graphql", keyplane.graphql_url)
        + "console.log(JSON.stringify({ created: createApiKey, listed: page.project?.apiKeys.edges.map((e) => e.node.name) }));\n")
    compiled = subprocess.run([str(tsc), "-p", "tsconfig.json"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    project_id = graphql(keyplane, "CreateProject", input={"name": "Default"})["createProject"]["project"]["id"]
    environment = {**os.environ, "KEYPLANE_TOKEN": keyplane.management, "KEYPLANE_PROJECT_ID": project_id}
    result = subprocess.run(["node", str(tmp_path / "dist" / "readme.js")], env=environment, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["created"]["errors"] == [] and seen["created"]["apiKey"]["name"] == "production"
    assert seen["created"]["apiKey"]["limits"]["allTime"] == "50"
    assert seen["listed"] == ["production"]
