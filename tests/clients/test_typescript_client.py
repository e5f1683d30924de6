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
