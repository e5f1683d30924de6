"""Two keyplane instances on one PostgreSQL: /v1/authorize req/s and /v1/usage events/s with the
load on one instance, then spread over both (same total number of connections), side by side.

    python bench/two_instances.py [--seconds 10] [--connections 32] [--keys 50]
                                  [--server postgres://root@127.0.0.1:5432/postgres]

A scratch database is created on the server and dropped afterwards. wrk drives the HTTP load
(one wrk process per instance, run at once); batches of 1000 usage events are sent by
threads. Modes:

- authorize:        no hold, answered from each instance's cache (keys spread over --keys keys)
- authorize + hold: estimatedCost + a unique requestId: one transaction locking the key's row
                    (holds expire after 2 s here: wrk never settles them with usage)
- usage (N keys):   single events spread over --keys keys
- usage (1 key):    single events all on one key: every write waits for that key's row lock
- usage batches:    batches of 1000 events on one key, 4 senders in all
"""
from __future__ import annotations

import argparse
import asyncio
import json
import re
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import cli, free_port, start_keyplane, stop  # noqa: E402

MODEL = {"model": "openai/gpt-4o", "provider": "openai"}
SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(token)s"
local bodies = %(bodies)s
local counter = 0
request = function()
  counter = counter + 1
  local body = string.gsub(bodies[math.random(1, #bodies)], "REQID", "%(prefix)s-" .. tostring(counter))
  return wrk.format(nil, nil, nil, body)
end
"""


def _lua_list(bodies: list[dict]) -> str:
    return "{" + ", ".join(json.dumps(json.dumps(b)) for b in bodies) + "}"


def _wrk(url: str, token: str, bodies: list[dict], seconds: int, connections: int) -> subprocess.Popen:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        # a prefix per wrk process: request ids never collide between the two load generators
        script.write(SCRIPT % {"token": token, "bodies": _lua_list(bodies), "prefix": uuid.uuid4().hex[:8]})
    return subprocess.Popen(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", script.name, url],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def load(bases: list[str], path: str, token: str, bodies: list[dict], seconds: int, connections: int) -> float:
    """Requests per second, summed over one wrk per instance running at the same time."""
    runs = [_wrk(base + path, token, bodies, seconds, max(1, connections // len(bases))) for base in bases]
    total = 0.0
    for run in runs:
        out, _ = run.communicate()
        failed = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        if run.returncode != 0 or failed:
            raise RuntimeError(f"wrk failed:\n{out}")
        total += float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return total


def usage_batches(bases: list[str], token: str, key_id: str, batches: int, senders: int = 4) -> float:
    def send(batch: int) -> None:
        events = [{"keyId": key_id, "requestId": f"b{uuid.uuid4().hex}", "cost": "0.000001", **MODEL}
                  for _ in range(1000)]
        response = httpx.post(f"{bases[batch % len(bases)]}/v1/usage", json={"events": events},
                              headers={"Authorization": f"Bearer {token}"}, timeout=120)
        response.raise_for_status()

    started = time.perf_counter()
    with ThreadPoolExecutor(senders) as pool:
        list(pool.map(send, range(batches)))
    return batches * 1000 / (time.perf_counter() - started)


def graphql(base: str, token: str, query: str, **variables) -> dict:
    body = httpx.post(f"{base}/graphql", headers={"Authorization": f"Bearer {token}"},
                      json={"query": query, "variables": variables}, timeout=30).json()
    assert not body.get("errors"), body
    return body["data"]


def create_keys(base: str, management: str, count: int) -> list[dict]:
    project = graphql(base, management, 'mutation { createProject(input: {name: "bench"}) { project { id } } }')
    project_id = project["createProject"]["project"]["id"]
    keys = []
    for i in range(count):
        created = graphql(base, management, "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) {"
                          " secret apiKey { id } errors { message } } }",
                          i={"projectId": project_id, "name": f"bench-{i}", "allTimeLimit": "1000000000",
                             "recurringLimit": {"amount": "1000000", "window": {"value": 1, "unit": "DAY"}},
                             "iamRules": [{"type": "ALLOW_PROVIDERS", "values": ["openai"]}]})["createApiKey"]
        assert not created["errors"], created
        keys.append({"secret": created["secret"], "id": created["apiKey"]["id"]})
    return keys


async def _admin(server: str, statement: str) -> None:
    conn = await asyncpg.connect(server)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32, help="in all, split evenly over the instances")
    parser.add_argument("--keys", type=int, default=50)
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--server", default="postgres://root@127.0.0.1:5432/postgres",
                        help="a PostgreSQL database to create the scratch database from")
    args = parser.parse_args()

    name = f"kp_bench_{uuid.uuid4().hex[:8]}"
    parts = urlsplit(args.server)
    url = urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))
    asyncio.run(_admin(args.server, f'CREATE DATABASE "{name}"'))
    instances = []
    try:
        cli(url, "migrate")
        cli(url, "org", "create", "bench", "--plan", "enterprise")
        management = cli(url, "token", "create", "--org", "bench")
        gateway = cli(url, "token", "create", "--gateway")
        bases = []
        for _ in range(2):
            port = free_port()
            # holds that are never settled (wrk sends no usage for them) expire quickly, so open
            # holds stay at about what is in flight, as with a gateway that reports usage
            instances.append(start_keyplane(url, port, KEYPLANE_HOLD_SECONDS="2"))
            bases.append(f"http://127.0.0.1:{port}")
        keys = create_keys(bases[0], management, args.keys)
        hot = keys[0]
        modes = {
            "authorize": ("/v1/authorize", [{"key": k["secret"], **MODEL} for k in keys]),
            "authorize + hold": ("/v1/authorize", [{"key": k["secret"], **MODEL, "estimatedCost": "0.000001",
                                                    "requestId": "REQID"} for k in keys]),
            f"usage ({args.keys} keys)": ("/v1/usage", [{"keyId": k["id"], "requestId": "REQID", "cost": "0.000001",
                                                         **MODEL} for k in keys]),
            "usage (1 key)": ("/v1/usage", [{"keyId": hot["id"], "requestId": "REQID", "cost": "0.000001", **MODEL}]),
        }
        print(f"{args.seconds} s per run, {args.connections} connections in all; req/s (usage: events/s)", flush=True)
        print(f"{'mode':<24}{'1 instance':>12}{'2 instances':>13}", flush=True)
        for mode, (path, bodies) in modes.items():
            one = load(bases[:1], path, gateway, bodies, args.seconds, args.connections)
            two = load(bases, path, gateway, bodies, args.seconds, args.connections)
            print(f"{mode:<24}{one:>12.0f}{two:>13.0f}", flush=True)
        one = usage_batches(bases[:1], gateway, hot["id"], args.batches)
        two = usage_batches(bases, gateway, hot["id"], args.batches)
        print(f"{'usage batches of 1000':<24}{one:>12.0f}{two:>13.0f}", flush=True)
    finally:
        for process in instances:
            stop(process)
        asyncio.run(_admin(args.server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
