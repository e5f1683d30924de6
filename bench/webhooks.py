"""Budget alerts: the delivery latency (usage recorded -> webhook received, on one instance with
a local receiver) and the cost of thresholds on /v1/usage (single events, 16 concurrent
senders: a key whose usage is past every threshold, so each transaction tries its alert rows,
against the same key with no thresholds and no limit).

    python bench/webhooks.py [--rounds 20] [--seconds 8] [--database-url URL]
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import threading
import time
from pathlib import Path

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import create_key, free_port, scratch_keyplane, start_keyplane, stop  # noqa: E402

received: dict[str, float] = {}  # key id -> when its event arrived (perf_counter)


async def receive(request) -> Response:
    event = await request.json()
    received.setdefault(event["data"]["keyId"], time.perf_counter())
    return Response(status_code=204)


def start_receiver(port: int) -> None:
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=[Route("/hook", receive, methods=["POST"])]), host="127.0.0.1",
                                           port=port, log_level="warning", access_log=False, lifespan="off"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.01)


def graphql(base: str, token: str, query: str, variables: dict) -> dict:
    body = httpx.post(f"{base}/graphql", headers={"Authorization": f"Bearer {token}"},
                      json={"query": query, "variables": variables}, timeout=30).json()
    assert not body.get("errors"), body
    return body["data"]


def latency(base: str, env: dict, project_id: str, rounds: int) -> list[float]:
    found = []
    for n in range(rounds):
        key = graphql(base, env["management"], "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { apiKey { id } } }",
                      {"i": {"projectId": project_id, "name": f"l{n}", "allTimeLimit": "1"}})["createApiKey"]["apiKey"]
        started = time.perf_counter()
        httpx.post(f"{base}/v1/usage", headers={"Authorization": f"Bearer {env['gateway']}"},
                   json={"keyId": key["id"], "requestId": "r", "cost": "1"}, timeout=30).raise_for_status()
        while key["id"] not in received:
            time.sleep(0.001)
        found.append((received[key["id"]] - started) * 1000)
    return found


async def events_per_second(base: str, gateway: str, key_id: str, seconds: float, senders: int = 16) -> float:
    done = 0
    stop_at = time.perf_counter() + seconds

    async def sender(client: httpx.AsyncClient, number: int) -> None:
        nonlocal done
        i = 0
        while time.perf_counter() < stop_at:
            i += 1
            response = await client.post(f"{base}/v1/usage", json={"keyId": key_id, "requestId": f"{key_id}-{number}-{i}",
                                                                    "cost": "0.000001"})
            response.raise_for_status()
            done += 1

    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {gateway}"}, timeout=30,
                                 limits=httpx.Limits(max_connections=senders)) as client:
        started = time.perf_counter()
        await asyncio.gather(*(sender(client, n) for n in range(senders)))
    return done / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--database-url", help="default: a scratch SQLite file")
    args = parser.parse_args()

    env = scratch_keyplane(args.database_url)
    receiver_port, port = free_port(), free_port()
    start_receiver(receiver_port)
    server = start_keyplane(env["url"], port, KEYPLANE_WEBHOOK_ALLOW_PRIVATE="true", KEYPLANE_LOG_LEVEL="WARNING")
    try:
        base = f"http://127.0.0.1:{port}"
        plain = create_key(base, env["management"], alertThresholds=[])
        project_id = graphql(base, env["management"], "query($id: ID!) { apiKey(id: $id) { project { id } } }",
                             {"id": plain["id"]})["apiKey"]["project"]["id"]
        graphql(base, env["management"], "mutation($i: CreateWebhookInput!) { createWebhook(input: $i) { secret } }",
                {"i": {"projectId": project_id, "url": f"http://127.0.0.1:{receiver_port}/hook",
                       "events": ["KEY_USAGE_THRESHOLD", "KEY_LIMIT_REACHED"]}})
        ms = sorted(latency(base, env, project_id, args.rounds))
        print(f"delivery latency over {len(ms)} events: median {statistics.median(ms):.1f} ms,"
              f" p90 {ms[int(len(ms) * 0.9) - 1]:.1f} ms, max {ms[-1]:.1f} ms")

        # thresholds all passed at once (a limit of a nano-dollar): every transaction inserts its alert rows
        alerted = graphql(base, env["management"], "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { apiKey { id } } }",
                          {"i": {"projectId": project_id, "name": "alerted", "allTimeLimit": "0.000000001",
                                 "recurringLimit": {"amount": "0.000000001", "window": {"value": 1, "unit": "DAY"}},
                                 "alertThresholds": [25, 50, 75, 90, 100]}})["createApiKey"]["apiKey"]
        without = asyncio.run(events_per_second(base, env["gateway"], plain["id"], args.seconds))
        with_thresholds = asyncio.run(events_per_second(base, env["gateway"], alerted["id"], args.seconds))
        print(f"{'usage, single events (16 senders)':<40}{'events/s':>10}")
        print(f"{'no limit, no thresholds':<40}{without:>10.0f}")
        print(f"{'both limits, 5 thresholds, all passed':<40}{with_thresholds:>10.0f}")
        print(f"with / without: {with_thresholds / without:.2f}")
    finally:
        stop(server)


if __name__ == "__main__":
    main()
