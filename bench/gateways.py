"""Requests/s through real gateways with and without keyplane, in the same run:

- LiteLLM's proxy (mock model) with its master key only, and with keyplane-litellm
  (custom_auth + usage callback) and a keyplane key with limits and IAM rules;
- Envoy in front of a bare upstream, without and with keyplane's ext_authz
  (integrations/envoy/envoy.yaml).

    python bench/gateways.py [--seconds 8] [--rounds 3]

Needs the gateways' venvs (.ci/install-gateways) and wrk. Rounds alternate between the two
servers of a pair so that machine noise hits both alike; medians are printed.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ROOT, free_port, stop, wait_healthy, wrk  # noqa: E402
from tests.integrations.gateways import Envoy, Keyplane, LiteLLMProxy, envoy_config  # noqa: E402

CHAT = {"model": "openai/gpt-4o", "messages": [{"role": "user", "content": "hi"}], "user": "REQID"}
MASTER_KEY = "sk-bench-master"
MODEL = {"model_name": "openai/gpt-4o",
         "litellm_params": {"model": "openai/gpt-4o", "api_key": "mock", "mock_response": "hi"}}


def litellm_config(with_keyplane: bool) -> dict:
    config = {"model_list": [MODEL], "general_settings": {"master_key": MASTER_KEY},
              "litellm_settings": {"num_retries": 0}}
    if with_keyplane:
        config["general_settings"]["custom_auth"] = "keyplane_litellm.user_api_key_auth"
        config["litellm_settings"]["callbacks"] = "keyplane_litellm.usage_logger"
    return config


def without_ext_authz(config: str) -> str:
    """The shipped Envoy configuration with its ext_authz filter taken out: the baseline."""
    start = config.index("                  - name: envoy.filters.http.ext_authz")
    end = config.index("                  - name: envoy.filters.http.router")
    return config[:start] + config[end:]


def start_upstream(port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench.mock_upstream:app", "--port", str(port), "--log-level", "warning",
         "--no-access-log"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_healthy(f"http://127.0.0.1:{port}", "/v1/chat/completions")
    return process


def compare(name: str, pair: dict, seconds: int, rounds: int, connections: int) -> dict:
    """{label: median req/s} for two (url, token) targets, rounds alternating (a warm-up request first)."""
    measured = {label: [] for label in pair}
    for url, token in pair.values():
        wrk(url, token, CHAT, seconds=1, connections=1, timeout_s=30)
    for _ in range(rounds):
        for label, (url, token) in pair.items():
            measured[label].append(wrk(url, token, CHAT, seconds=seconds, connections=connections, timeout_s=30))
    medians = {label: statistics.median(values) for label, values in measured.items()}
    base_label = next(iter(pair))
    print(f"\n{name}")
    for label, value in medians.items():
        print(f"  {label:<40} {value:>9,.0f} req/s   {value / medians[base_label]:.2f}")
    return medians


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    directory = Path(tempfile.mkdtemp(prefix="kp-bench-gateways-"))
    keyplane = Keyplane(directory).start()
    started = []
    try:
        secret, _ = keyplane.create_key(
            allTimeLimit="1000000", recurringLimit={"amount": "100000", "window": {"value": 1, "unit": "DAY"}},
            iamRules=[{"type": "ALLOW_PROVIDERS", "values": ["openai"]}])
        bare_litellm = LiteLLMProxy(directory, keyplane, litellm_config(False))
        plugged = LiteLLMProxy(directory, keyplane, litellm_config(True))
        for proxy in (bare_litellm, plugged):
            started.append(proxy.start())
        url = "/v1/chat/completions"
        # LiteLLM's proxy is CPU-bound in one process (tens of req/s here): 4 connections keep it busy
        compare("LiteLLM proxy (mock model, 1 worker), wrk 4 connections", {
            "LiteLLM, master key (baseline)": (bare_litellm.url + url, MASTER_KEY),
            "LiteLLM + keyplane-litellm": (plugged.url + url, secret),
        }, args.seconds, args.rounds, 4)

        upstream_port = free_port()
        upstream = start_upstream(upstream_port)
        ports = {name: (free_port(), free_port()) for name in ("bare", "authz")}
        shipped = envoy_config(keyplane, upstream_port, *ports["authz"])
        envoys = {"authz": Envoy(directory, shipped),
                  "bare": Envoy(directory, without_ext_authz(envoy_config(keyplane, upstream_port, *ports["bare"])))}
        for name, envoy in envoys.items():
            started.append(envoy.start(f"http://127.0.0.1:{ports[name][1]}/ready"))
        compare("Envoy (1 worker) in front of a bare upstream, wrk 16 connections", {
            "Envoy (baseline)": (f"http://127.0.0.1:{ports['bare'][0]}{url}", secret),
            "Envoy + keyplane ext_authz": (f"http://127.0.0.1:{ports['authz'][0]}{url}", secret),
        }, args.seconds, args.rounds, 16)
        stop(upstream)
    finally:
        for process in started:
            process.stop()
        keyplane.stop()


if __name__ == "__main__":
    os.environ.setdefault("CI", "false")
    main()
