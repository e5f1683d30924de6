"""The plugin's configuration, from environment variables (LiteLLM loads the plugin by name)."""
from __future__ import annotations

import os
from dataclasses import dataclass


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Settings:
    url: str
    gateway_token: str
    timeout_s: float = 2.0
    fail_open: bool = False  # keyplane unreachable: refuse (503) unless this is set
    estimate_costs: bool = False  # send an estimate (max_tokens × output price) so limits are hard caps
    default_max_tokens: int = 4096  # the estimate of a request that names no max_tokens
    flush_interval_s: float = 0.1
    batch_size: int = 500
    queue_limit: int = 100_000
    retry_max_s: float = 5.0

    @classmethod
    def from_env(cls) -> "Settings":
        env = os.environ
        return cls(
            url=env.get("KEYPLANE_URL", "http://127.0.0.1:8000").rstrip("/"),
            gateway_token=env.get("KEYPLANE_GATEWAY_TOKEN", ""),
            timeout_s=float(env.get("KEYPLANE_TIMEOUT_S", "2")),
            fail_open=_bool("KEYPLANE_FAIL_OPEN", False),
            estimate_costs=_bool("KEYPLANE_ESTIMATE_COSTS", False),
            default_max_tokens=int(env.get("KEYPLANE_DEFAULT_MAX_TOKENS", "4096")),
            flush_interval_s=float(env.get("KEYPLANE_USAGE_FLUSH_MS", "100")) / 1000,
            batch_size=int(env.get("KEYPLANE_USAGE_BATCH", "500")),
            queue_limit=int(env.get("KEYPLANE_USAGE_QUEUE_LIMIT", "100000")),
            retry_max_s=float(env.get("KEYPLANE_USAGE_RETRY_MAX_S", "5")),
        )
