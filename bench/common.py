"""Shared pieces of the benchmarks: a scratch keyplane (or baseline) server and wrk."""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cli(url: str, *argv: str) -> str:
    out = subprocess.run([sys.executable, "-m", "app", *argv], capture_output=True, text=True, check=True,
                         env={**os.environ, "KEYPLANE_DATABASE_URL": url}, cwd=ROOT)
    return out.stdout.strip()


def wait_healthy(url: str, path: str = "/healthz", timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url + path, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not start")


def start_keyplane(url: str, port: int, extra_args: list[str] | None = None, **env) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--no-bootstrap", "--port", str(port), *(extra_args or [])],
        env={**os.environ, "KEYPLANE_DATABASE_URL": url, **env}, cwd=ROOT,  # default settings (INFO logging)
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    wait_healthy(f"http://127.0.0.1:{port}")
    return process


def start_bare(port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench.bare_app:app", "--port", str(port), "--log-level", "warning",
         "--no-access-log"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    wait_healthy(f"http://127.0.0.1:{port}", "/v1/authorize")
    return process


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def scratch_keyplane(database_url: str | None = None) -> dict:
    """A fresh database with an org, tokens and a key with limits and IAM rules."""
    if database_url is None:
        database_url = f"sqlite://{tempfile.mkdtemp(prefix='kp-bench-')}/bench.sqlite3"
    cli(database_url, "org", "create", "bench", "--plan", "enterprise")
    management = cli(database_url, "token", "create", "--org", "bench")
    gateway = cli(database_url, "token", "create", "--gateway")
    return {"url": database_url, "management": management, "gateway": gateway}


def create_key(base: str, management: str, **fields) -> dict:
    headers = {"Authorization": f"Bearer {management}"}
    project = httpx.post(f"{base}/graphql", headers=headers, json={
        "query": "mutation { createProject(input: {name: \"bench\"}) { project { id } } }"}).json()
    project_id = project["data"]["createProject"]["project"]["id"]
    created = httpx.post(f"{base}/graphql", headers=headers, json={
        "query": "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret apiKey { id } errors { message } } }",
        "variables": {"i": {"projectId": project_id, "name": "bench", **fields}}}).json()["data"]["createApiKey"]
    assert not created["errors"], created
    return {"secret": created["secret"], "id": created["apiKey"]["id"]}


WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(token)s"
local template = %(template)s
local counter = 0
request = function()
  counter = counter + 1
  local body = string.gsub(template, "REQID", tostring(counter) .. "-" .. tostring(math.random(1, 1000000000)))
  return wrk.format(nil, nil, nil, body)
end
"""


def wrk(url: str, token: str, body: dict, seconds: int = 10, connections: int = 16, threads: int = 1,
        timeout_s: int = 2) -> float:
    """Requests per second that wrk measured (REQID in the body becomes a unique id per request)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % {"token": token, "template": json.dumps(json.dumps(body))})
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", f"--timeout={timeout_s}s",
                          "-s", script.name, url],
                         capture_output=True, text=True, check=True).stdout
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non_2xx:
        raise RuntimeError(f"{non_2xx.group(1)} failed requests:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
