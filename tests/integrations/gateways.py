"""Real processes for the end-to-end gateway tests: keyplane, a LiteLLM proxy, Envoy, a mock upstream.

The gateways live in their own virtual environments (`.ci/install-gateways` builds them in a
cache folder and exports KEYPLANE_LITELLM_VENV / KEYPLANE_ENVOY_BIN); without those variables
the well-known cache folder is searched. With CI=true a missing gateway fails the test; locally
it skips with the reason.
"""
from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.support.documents import document
from tests.support.live import free_port

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("KEYPLANE_CI_CACHE") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
             / "keyplane-ci")
PLUGIN_SRC = ROOT / "integrations" / "litellm" / "src"


def missing(what: str, how: str):
    """A gateway that is not installed: a failure in CI, a skip (with the reason) elsewhere."""
    message = f"{what} is not installed: {how} (run .ci/install-gateways)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def _newest(pattern: str) -> str | None:
    found = sorted(glob.glob(str(CACHE / pattern)), key=os.path.getmtime)
    return found[-1] if found else None


def litellm_venv() -> Path:
    venv = os.environ.get("KEYPLANE_LITELLM_VENV") or _newest("litellm-venv-*")
    if not venv or not (Path(venv) / "bin" / "litellm").exists():
        missing("the LiteLLM proxy", "KEYPLANE_LITELLM_VENV names no venv with bin/litellm")
    return Path(venv)


def envoy_bin() -> Path:
    binary = os.environ.get("KEYPLANE_ENVOY_BIN")
    if not binary:
        venv = _newest("envoy-venv-*")
        binary = venv and next(iter(glob.glob(f"{venv}/lib/python*/site-packages/envoy/_bin/envoy")), None)
    if not binary or not os.access(binary, os.X_OK):
        missing("Envoy", "KEYPLANE_ENVOY_BIN names no envoy binary")
    return Path(binary)


def wait_until(condition, timeout: float = 30, what: str = "the condition"):
    """Polls an eventual outcome of other processes (a server up, a batch delivered); bounded."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _up(url: str) -> bool:
    try:
        httpx.get(url, timeout=1)
        return True
    except httpx.TransportError:
        return False


class Keyplane:
    """keyplane serving a SQLite file as a real process, so it can be stopped and started again."""

    def __init__(self, directory: Path) -> None:
        self.database_url = f"sqlite://{directory}/keyplane.sqlite3"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(directory / "keyplane.log", "ab")
        self.process: subprocess.Popen | None = None
        self._cli("migrate")
        self._cli("org", "create", "gateways", "--plan", "enterprise")
        self.management = self._cli("token", "create", "--org", "gateways")
        self.gateway = self._cli("token", "create", "--gateway", "--label", "e2e")

    def _cli(self, *argv: str) -> str:
        out = subprocess.run([sys.executable, "-m", "app", *argv], capture_output=True, text=True, check=True,
                             cwd=ROOT, env={**os.environ, "KEYPLANE_DATABASE_URL": self.database_url})
        return out.stdout.strip()

    def start(self) -> "Keyplane":
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--no-bootstrap", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT, stdout=self.log, stderr=self.log,
            env={**os.environ, "KEYPLANE_DATABASE_URL": self.database_url, "KEYPLANE_LOG_LEVEL": "WARNING"},
        )
        wait_until(lambda: _up(self.url + "/healthz"), what="keyplane to start")
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None

    def gql(self, query: str, **variables) -> dict:
        body = httpx.post(self.url + "/graphql", json={"query": query, "variables": variables}, timeout=10,
                          headers={"Authorization": f"Bearer {self.management}"}).json()
        assert not body.get("errors"), body
        (payload,) = body["data"].values()
        return payload

    def project(self) -> str:
        projects = self.gql("{ organization { projects { id } } }")["projects"]
        if projects:
            return projects[0]["id"]
        return self.gql(document("CreateProject"), input={"name": "gateways"})["project"]["id"]

    def create_key(self, **fields) -> tuple[str, str]:
        """A new key: (secret, id)."""
        payload = self.gql(document("CreateApiKey"), input={"projectId": self.project(), "name": "e2e", **fields})
        assert payload["errors"] == [], payload["errors"]
        return payload["secret"], payload["apiKey"]["id"]

    def rule_ids(self, key_id: str) -> list[str]:
        return [rule["id"] for rule in self.gql(document("ApiKey"), id=key_id)["iamRules"]]

    def disable(self, key_id: str) -> None:
        payload = self.gql(document("SetApiKeyEnabled"), input={"id": key_id, "enabled": False})
        assert payload["errors"] == [], payload["errors"]

    def usage(self, key_id: str) -> dict:
        """The key's all-time usage and its usage records, by request id."""
        key = self.gql(document("ApiKeyUsage"), id=key_id, first=100)
        records = {edge["node"]["requestId"]: edge["node"] for edge in key["usageRecords"]["edges"]}
        return {"usage": key["usage"], "records": records}


class LiteLLMProxy:
    """LiteLLM's proxy with the keyplane plugin (from this checkout) in front of mock models."""

    def __init__(self, directory: Path, keyplane: Keyplane, config: dict, **env: str) -> None:
        self.venv = litellm_venv()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config_path = directory / f"litellm-{self.port}.yaml"
        self.config_path.write_text(json.dumps(config))  # JSON is YAML
        self.log_path = directory / f"litellm-{self.port}.log"
        self.env = {
            **os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "PYTHONPATH": str(PLUGIN_SRC),
            "KEYPLANE_URL": keyplane.url, "KEYPLANE_GATEWAY_TOKEN": keyplane.gateway,
            "KEYPLANE_USAGE_RETRY_MAX_S": "0.5", "NO_DOCS": "True", **env,
        }
        self.env.pop("VIRTUAL_ENV", None)
        self.process: subprocess.Popen | None = None

    def start(self) -> "LiteLLMProxy":
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [str(self.venv / "bin" / "litellm"), "--config", str(self.config_path), "--host", "127.0.0.1",
             "--port", str(self.port), "--num_workers", "1"],
            cwd=self.config_path.parent, stdout=log, stderr=log, env=self.env,
        )
        try:
            wait_until(lambda: self.process.poll() is not None or _up(self.url + "/health/liveliness"), timeout=120,
                       what="the LiteLLM proxy to start")
        finally:
            if self.process.poll() is not None:
                raise RuntimeError(f"LiteLLM exited: {self.log_path.read_text()[-3000:]}")
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None


class MockUpstream:
    """An OpenAI-shaped upstream that records every request it sees (method, path, headers, body)."""

    def __init__(self) -> None:
        seen = self.seen = []

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                seen.append({"method": self.command, "path": self.path, "headers": dict(self.headers.items()),
                             "body": body})
                reply = json.dumps({"object": "chat.completion", "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": "upstream says hi"}}]}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            do_GET = do_POST = _answer

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> "MockUpstream":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def envoy_config(keyplane: Keyplane, upstream_port: int, listener_port: int, admin_port: int) -> str:
    """The shipped integrations/envoy/envoy.yaml with this run's ports and gateway token."""
    text = (ROOT / "integrations" / "envoy" / "envoy.yaml").read_text()
    for placeholder, value in (("KEYPLANE_GATEWAY_TOKEN_HERE", keyplane.gateway),
                               ("address: 0.0.0.0", "address: 127.0.0.1"), ("port_value: 8000", f"port_value: {keyplane.port}"),
                               ("port_value: 4000", f"port_value: {upstream_port}"),
                               ("port_value: 10000", f"port_value: {listener_port}"),
                               ("port_value: 9901", f"port_value: {admin_port}")):
        assert placeholder in text, f"envoy.yaml no longer has {placeholder}"
        text = text.replace(placeholder, value)
    return text


class Envoy:
    def __init__(self, directory: Path, config: str) -> None:
        self.binary = envoy_bin()
        self.config_path = Path(tempfile.mkstemp(suffix=".yaml", dir=directory)[1])
        self.config_path.write_text(config)
        self.log_path = directory / f"envoy-{self.config_path.stem}.log"
        self.process: subprocess.Popen | None = None

    def start(self, ready_url: str) -> "Envoy":
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [str(self.binary), "-c", str(self.config_path), "--log-level", "warning", "--concurrency", "1",
             "--use-dynamic-base-id"],  # several Envoys on one machine (tests, the bench, other engineers)
            stdout=log, stderr=log,
        )
        try:
            wait_until(lambda: self.process.poll() is not None or _up(ready_url), timeout=60, what="Envoy to start")
        finally:
            if self.process.poll() is not None:
                raise RuntimeError(f"Envoy exited: {self.log_path.read_text()[-3000:]}")
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None
