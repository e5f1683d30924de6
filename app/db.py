"""Opening and closing the database: Tortoise's connection, the migrations, the default catalog."""
from __future__ import annotations

import logging
from urllib.parse import urlparse

from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url

from app.settings import Settings

MODELS = ["app.models"]


class DatabaseUrlError(ValueError):
    pass


def tortoise_config(settings: Settings) -> dict:
    url = settings.database_url
    scheme = urlparse(url).scheme
    if scheme not in ("sqlite", "postgres", "postgresql"):
        raise DatabaseUrlError(
            f"KEYPLANE_DATABASE_URL must start with sqlite:// or postgres://, got scheme {scheme!r}"
        )
    if scheme == "postgresql":
        url = "postgres" + url[len("postgresql"):]
    connection = expand_db_url(url)
    credentials = connection["credentials"]
    if scheme == "sqlite":
        # several processes may share one file: wait for the write lock instead of failing
        credentials.setdefault("busy_timeout", 10_000)
        credentials.setdefault("synchronous", "NORMAL")
    else:
        credentials.setdefault("minsize", settings.pool_min)
        credentials.setdefault("maxsize", settings.pool_max)
        credentials.setdefault("statement_cache_size", settings.statement_cache_size)
        credentials.setdefault("command_timeout", max(1, settings.statement_timeout_ms // 1000 + 5))
        credentials.setdefault("server_settings", {
            "statement_timeout": str(settings.statement_timeout_ms),
            "application_name": "keyplane",
        })
    return {
        "connections": {"default": connection},
        "apps": {"keyplane": {"models": MODELS, "default_connection": "default"}},
        "use_tz": True,
        "timezone": "UTC",
    }


async def open_database(settings: Settings, now_us: int) -> None:
    """Connect, migrate to the latest schema, and load the default catalog into an empty database."""
    from app.services import catalog
    from app.store import migrations

    # Tortoise logs every statement with its parameters at DEBUG: those include secret hashes
    logging.getLogger("tortoise").setLevel(logging.INFO)
    logging.getLogger("tortoise.db_client").setLevel(logging.WARNING)
    await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)
    await migrations.migrate(now_us)
    await catalog.seed_default(now_us)


async def close_database() -> None:
    await Tortoise.close_connections()
