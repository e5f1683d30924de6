"""/v1/usage throughput: events/s for single events (wrk, 16 connections) and for batches of
1000 events (a few concurrent senders), side by side in one run.

    python bench/usage.py [--seconds 10] [--batches 100] [--database-url URL]
"""
from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import create_key, free_port, scratch_keyplane, start_keyplane, stop, wrk  # noqa: E402


def batches_per_second(base: str, gateway: str, key_id: str, batches: int, senders: int = 4) -> float:
    def send(batch: int) -> None:
        events = [{"keyId": key_id, "requestId": f"batch{batch}-{i}", "cost": "0.000001", "model": "openai/gpt-4o",
                   "provider": "openai"} for i in range(1000)]
        response = httpx.post(f"{base}/v1/usage", json={"events": events},
                              headers={"Authorization": f"Bearer {gateway}"}, timeout=60)
        assert response.status_code == 200, response.text[:300]
        assert all(r["recorded"] for r in response.json()["results"])

    started = time.perf_counter()
    with ThreadPoolExecutor(senders) as pool:
        list(pool.map(send, range(batches)))
    return batches * 1000 / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--database-url", help="default: a scratch SQLite file")
    args = parser.parse_args()

    env = scratch_keyplane(args.database_url)
    port = free_port()
    server = start_keyplane(env["url"], port)
    try:
        base = f"http://127.0.0.1:{port}"
        key = create_key(base, env["management"], recurringLimit={"amount": "1000000", "window": {"value": 1, "unit": "DAY"}})
        single = wrk(f"{base}/v1/usage", env["gateway"],
                     {"keyId": key["id"], "requestId": "REQID", "cost": "0.000001", "model": "openai/gpt-4o"}, args.seconds)
        batched = batches_per_second(base, env["gateway"], key["id"], args.batches)
        print(f"{'mode':<28}{'events/s':>12}")
        print(f"{'single events (wrk, 16 conn)':<28}{single:>12.0f}")
        print(f"{'batches of 1000 (4 senders)':<28}{batched:>12.0f}")
        print(f"batched / single: {batched / single:.1f}x")
    finally:
        stop(server)


if __name__ == "__main__":
    main()
