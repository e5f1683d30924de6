"""/v1/authorize req/s for a key with limits and IAM rules, side by side with a bare Starlette
endpoint that parses the same JSON (same uvicorn settings: one process, 16 connections, wrk).

    python bench/authorize.py [--seconds 10] [--rounds 3]

keyplane runs at its default settings (log level INFO: one access line per request); the same
app at WARNING shows what logging costs. (a) without holds, (b) with holds (estimatedCost + a unique requestId per request).
Rounds alternate between the two servers so that machine noise hits both alike.
"""
from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import create_key, free_port, scratch_keyplane, start_bare, start_keyplane, stop, wrk  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", help="default: a scratch SQLite file")
    args = parser.parse_args()

    env = scratch_keyplane(args.database_url)
    kp_port, quiet_port, bare_port = free_port(), free_port(), free_port()
    keyplane = start_keyplane(env["url"], kp_port)
    # the same database at log level WARNING (no access lines): what logging costs
    quiet = start_keyplane(env["url"], quiet_port, KEYPLANE_LOG_LEVEL="WARNING")
    bare = start_bare(bare_port)
    try:
        base = f"http://127.0.0.1:{kp_port}"
        key = create_key(base, env["management"], allTimeLimit="1000000000",
                         recurringLimit={"amount": "1000000", "window": {"value": 1, "unit": "DAY"}},
                         iamRules=[{"type": "ALLOW_PROVIDERS", "values": ["openai", "azure"]},
                                   {"type": "DENY_PRICING", "values": ["FREE"]}])
        plain = {"key": key["secret"], "model": "openai/gpt-4o", "provider": "openai"}
        held = {**plain, "estimatedCost": "0.000001", "requestId": "REQID"}
        results: dict[str, list[float]] = {"bare": [], "authorize": [], "authorize (WARNING)": [], "authorize+hold": []}
        for _ in range(args.rounds):
            results["bare"].append(wrk(f"http://127.0.0.1:{bare_port}/v1/authorize", "x", plain, args.seconds))
            results["authorize"].append(wrk(f"{base}/v1/authorize", env["gateway"], plain, args.seconds))
            results["authorize (WARNING)"].append(wrk(f"http://127.0.0.1:{quiet_port}/v1/authorize", env["gateway"],
                                                      plain, args.seconds))
            results["authorize+hold"].append(wrk(f"{base}/v1/authorize", env["gateway"], held, args.seconds))
        bare_rps = statistics.median(results["bare"])
        print(f"{'endpoint':<22}{'req/s (median)':>16}{'vs bare':>10}   rounds")
        for name, values in results.items():
            median = statistics.median(values)
            print(f"{name:<22}{median:>16.0f}{median / bare_rps:>10.2f}   {', '.join(f'{v:.0f}' for v in values)}")
    finally:
        stop(keyplane)
        stop(quiet)
        stop(bare)


if __name__ == "__main__":
    main()
