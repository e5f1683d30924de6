"""Settings, read once from the environment (KEYPLANE_*)."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

from app.domain.retention import MIN_DAYS

_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?|https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


def _int(env: dict, name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"keyplane: {name} must be an integer, got {raw!r}") from None


def _retention(env: dict, name: str, default: int) -> int:
    """Days, 0 for forever; at least ``MIN_DAYS`` otherwise (app/domain/retention.py)."""
    days = _int(env, name, default)
    if days != 0 and days < MIN_DAYS:
        raise SystemExit(f"keyplane: {name} must be 0 (keep forever) or at least {MIN_DAYS} days, got {days}")
    return days


def _bool(env: dict, name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in ("1", "true", "yes", "on")


def _origins(env: dict, name: str) -> tuple[str, ...]:
    """Comma-separated origins (scheme://host[:port], as a browser sends them in Origin); no wildcard:
    every browser app that may call keyplane is named by the operator."""
    origins = tuple(part.strip().rstrip("/") for part in (env.get(name) or "").split(",") if part.strip())
    for origin in origins:
        if not _ORIGIN.fullmatch(origin):
            raise SystemExit(f"keyplane: {name} takes origins like https://app.example.com, got {origin!r}")
    return origins


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite://keyplane.sqlite3"
    # GraphiQL and introspection for authenticated integrators; turn off for locked-down deployments
    graphiql: bool = True
    # how long a hold reserves budget when its usage never arrives
    hold_seconds: int = 600
    # how often each instance polls the change feed (milliseconds)
    poll_interval_ms: int = 150
    # PostgreSQL pool and statement timeout
    pool_min: int = 1
    pool_max: int = 10
    statement_timeout_ms: int = 5000
    # 0 disables asyncpg's statement cache (needed behind PgBouncer in transaction mode)
    statement_cache_size: int = 1024
    log_level: str = "INFO"
    # a GraphQL document whose estimated result holds more objects is refused before it runs
    graphql_max_nodes: int = 20000
    # browser apps on these origins may call keyplane (CORS); none by default
    cors_origins: tuple[str, ...] = ()
    # when set, /metrics answers only to "Authorization: Bearer <this token>"; unset: open (bind privately)
    metrics_token: str | None = None
    # slow clients (app/slowclients.py): time to send a request's headers, and its body; open connections
    header_timeout_ms: int = 10_000
    body_timeout_ms: int = 30_000
    max_connections: int = 1000
    # audit events older than this are pruned by the housekeeping (0 keeps them forever)
    audit_retention_days: int = 365
    # webhooks: http:// and private or loopback receivers (on-premises) are refused unless this is on
    webhook_allow_private: bool = False
    # each instance's deliverer: whether it runs, how often it looks for due deliveries when not woken,
    # how many it sends at once, and how long one attempt may take
    webhook_delivery: bool = True
    webhook_poll_ms: int = 1000
    webhook_concurrency: int = 8
    webhook_timeout_ms: int = 10_000
    # finished deliveries (delivered or given up) older than this leave the delivery log (0 keeps them)
    webhook_retention_days: int = 30
    # raw usage records older than this are pruned by the housekeeping (0 keeps them forever);
    # totals, windows and rollups are kept whatever this is
    usage_retention_days: int = 90

    @classmethod
    def from_env(cls, env: dict | None = None) -> "Settings":
        env = dict(os.environ if env is None else env)
        return cls(
            database_url=env.get("KEYPLANE_DATABASE_URL") or cls.database_url,
            graphiql=_bool(env, "KEYPLANE_GRAPHIQL", True),
            hold_seconds=_int(env, "KEYPLANE_HOLD_SECONDS", 600),
            poll_interval_ms=_int(env, "KEYPLANE_POLL_INTERVAL_MS", 150),
            pool_min=_int(env, "KEYPLANE_DB_POOL_MIN", 1),
            pool_max=_int(env, "KEYPLANE_DB_POOL_MAX", 10),
            statement_timeout_ms=_int(env, "KEYPLANE_DB_STATEMENT_TIMEOUT_MS", 5000),
            statement_cache_size=_int(env, "KEYPLANE_DB_STATEMENT_CACHE_SIZE", 1024),
            log_level=(env.get("KEYPLANE_LOG_LEVEL") or "INFO").upper(),
            graphql_max_nodes=_int(env, "KEYPLANE_GRAPHQL_MAX_NODES", 20000),
            cors_origins=_origins(env, "KEYPLANE_CORS_ORIGINS"),
            metrics_token=env.get("KEYPLANE_METRICS_TOKEN") or None,
            header_timeout_ms=_int(env, "KEYPLANE_HEADER_TIMEOUT_MS", 10_000),
            body_timeout_ms=_int(env, "KEYPLANE_BODY_TIMEOUT_MS", 30_000),
            max_connections=_int(env, "KEYPLANE_MAX_CONNECTIONS", 1000),
            audit_retention_days=_int(env, "KEYPLANE_AUDIT_RETENTION_DAYS", 365),
            webhook_allow_private=_bool(env, "KEYPLANE_WEBHOOK_ALLOW_PRIVATE", False),
            webhook_delivery=_bool(env, "KEYPLANE_WEBHOOK_DELIVERY", True),
            webhook_poll_ms=max(10, _int(env, "KEYPLANE_WEBHOOK_POLL_MS", 1000)),
            webhook_concurrency=max(1, _int(env, "KEYPLANE_WEBHOOK_CONCURRENCY", 8)),
            webhook_timeout_ms=max(100, _int(env, "KEYPLANE_WEBHOOK_TIMEOUT_MS", 10_000)),
            webhook_retention_days=_int(env, "KEYPLANE_WEBHOOK_RETENTION_DAYS", 30),
            usage_retention_days=_retention(env, "KEYPLANE_USAGE_RETENTION_DAYS", 90),
        )
