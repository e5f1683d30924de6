"""The gateway's real loop: per LLM request, `/v1/authorize` before it and `/v1/usage` after
it, with the same request id, side by side with a bare Starlette pair in the same run.

    python bench/gateway_loop.py [--seconds 8] [--rounds 2] [--connections 16] [--keys 50]
                                 [--backend sqlite|postgres|both] [--workers 1,2]
                                 [--server postgres://root@127.0.0.1:5432/postgres]

Loops:
- soft: authorize without an estimate, then the usage of that request;
- hard: authorize with `estimatedCost` + `requestId` (a hold), then the usage settling it.

wrk runs one connection per thread, so each connection alternates authorize and usage of
one request id in order, exactly as a gateway does. Keys (50 by default) carry an all-time
limit, a recurring limit and IAM rules. keyplane runs at its default settings (log level
INFO), as the bare app does at uvicorn's. Prints pairs/s, the ratio to the bare pair and
the p50/p99 latency of single requests. Rounds alternate the servers so noise hits both.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import cli, free_port, start_bare, start_keyplane, stop  # noqa: E402
from bench.two_instances import create_keys  # noqa: E402

MODEL = {"model": "openai/gpt-4o", "provider": "openai"}
LOOP_SCRIPT = """
local token = "%(token)s"
local pairs = %(pairs)s
local prefix = "%(prefix)s"
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local counter = 0
local pending = nil
request = function()
  local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}
  if pending == nil then
    counter = counter + 1
    local pair = pairs[(counter %% #pairs) + 1]
    local id = prefix .. "-" .. tostring(tid) .. "-" .. tostring(counter)
    pending = string.gsub(pair[2], "REQID", id)
    return wrk.format("POST", "/v1/authorize", headers, (string.gsub(pair[1], "REQID", id)))
  end
  local body = pending
  pending = nil
  return wrk.format("POST", "/v1/usage", headers, body)
end
"""


def _lua_pairs(pairs: list[tuple[dict, dict]]) -> str:
    return "{" + ", ".join("{" + json.dumps(json.dumps(a)) + ", " + json.dumps(json.dumps(u)) + "}"
                           for a, u in pairs) + "}"


def run_loop(base: str, token: str, pairs: list[tuple[dict, dict]], seconds: int, connections: int) -> dict:
    """wrk with one connection per thread: pairs/s and latency percentiles of single requests (ms)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LOOP_SCRIPT % {"token": token, "pairs": _lua_pairs(pairs), "prefix": uuid.uuid4().hex[:8]})
    out = subprocess.run(["wrk", f"-t{connections}", f"-c{connections}", f"-d{seconds}s", "--latency",
                          "-s", script.name, base], capture_output=True, text=True, check=True).stdout
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if failed:
        raise RuntimeError(f"{failed.group(1)} failed requests:\n{out}")

    def percentile(name: str) -> float:
        value, unit = re.search(rf"^\s+{name}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    return {"pairs": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)) / 2,
            "p50": percentile("50"), "p99": percentile("99")}


def loops(keys: list[dict]) -> dict[str, list[tuple[dict, dict]]]:
    def usage(key: dict) -> dict:
        return {"keyId": key["id"], "requestId": "REQID", "cost": "0.000001", **MODEL}

    return {
        "soft": [({"key": k["secret"], **MODEL}, usage(k)) for k in keys],
        "hard": [({"key": k["secret"], **MODEL, "estimatedCost": "0.000002", "requestId": "REQID"}, usage(k))
                 for k in keys],
    }


async def _admin(server: str, statement: str) -> None:
    conn = await asyncpg.connect(server)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def serve_args(workers: int) -> list[str]:
    return ["--workers", str(workers)] if workers > 1 else []


def bench_backend(label: str, url: str, args, bare_base: str, results: list) -> None:
    cli(url, "migrate")
    cli(url, "org", "create", "bench", "--plan", "enterprise")
    management = cli(url, "token", "create", "--org", "bench")
    gateway = cli(url, "token", "create", "--gateway")
    keys = None
    for workers in args.workers:
        port = free_port()
        process = start_keyplane(url, port, extra_args=serve_args(workers))
        base = f"http://127.0.0.1:{port}"
        try:
            if keys is None:
                keys = create_keys(base, management, args.keys)
            for loop, pairs in loops(keys).items():
                bare_runs, kp_runs = [], []
                for _ in range(args.rounds):
                    bare_runs.append(run_loop(bare_base, "x", pairs, args.seconds, args.connections))
                    kp_runs.append(run_loop(base, gateway, pairs, args.seconds, args.connections))
                bare = statistics.median(r["pairs"] for r in bare_runs)
                kp = {m: statistics.median(r[m] for r in kp_runs) for m in ("pairs", "p50", "p99")}
                results.append((label, workers, loop, kp, bare))
                print(f"{label:<10}{workers:>8}  {loop:<6}{kp['pairs']:>10.0f}{bare:>10.0f}{kp['pairs'] / bare:>8.2f}"
                      f"{kp['p50']:>9.2f}{kp['p99']:>9.2f}", flush=True)
        finally:
            stop(process)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--keys", type=int, default=50)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--workers", type=lambda s: [int(w) for w in s.split(",")], default=[1])
    parser.add_argument("--server", default="postgres://root@127.0.0.1:5432/postgres")
    args = parser.parse_args()

    bare_port = free_port()
    bare = start_bare(bare_port)
    bare_base = f"http://127.0.0.1:{bare_port}"
    results: list = []
    print(f"{args.seconds} s per run, {args.rounds} rounds (medians), {args.connections} connections, "
          f"{args.keys} keys with limits and IAM rules", flush=True)
    print(f"{'backend':<10}{'workers':>8}  {'loop':<6}{'pairs/s':>10}{'bare':>10}{'ratio':>8}"
          f"{'p50 ms':>9}{'p99 ms':>9}", flush=True)
    try:
        if args.backend in ("sqlite", "both"):
            bench_backend("SQLite", f"sqlite://{tempfile.mkdtemp(prefix='kp-loop-')}/loop.sqlite3", args,
                          bare_base, results)
        if args.backend in ("postgres", "both"):
            name = f"kp_loop_{uuid.uuid4().hex[:8]}"
            parts = urlsplit(args.server)
            url = urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))
            asyncio.run(_admin(args.server, f'CREATE DATABASE "{name}"'))
            try:
                bench_backend("PostgreSQL", url, args, bare_base, results)
            finally:
                asyncio.run(_admin(args.server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        stop(bare)


if __name__ == "__main__":
    main()
