"""The Starlette application: /graphql, the data plane, health, and the process's lifecycle."""
from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route

from app import db, export, graphiql, http_errors, slowclients, web
from app.auth import TokenCache
from app.clock import Clock, SystemClock
from app.dataplane import ext_authz, feed as feed_module, gateway_catalog
from app.dataplane.cache import KeyCache
from app.dataplane.hot_path import HotPath
from app.dataplane.http import DataPlane
from app.domain import retention
from app.domain.timeconv import to_micros
from app.graphql_view import KeyplaneGraphQL
from app.guards import RequestGuards
from app.logs import AccessLog, configure_logging
from app.metrics import Metrics, endpoint as metrics_endpoint
from app.services.catalog import CatalogCache
from app.services.deliverer import Deliverer
from app.services.webhook_targets import Resolver
from app.settings import Settings
from app.store import alert_firings, audit, changes, health, keystate, outbox, partitions, sql, usage_records
from schema.build import build_schema

log = logging.getLogger("keyplane")
PURGE_EVERY_US = 60 * 1_000_000
DAY_US = 86_400 * 1_000_000


async def healthz(request: Request) -> JSONResponse:
    """200 when the database answers within 2 s, else 503: load balancers route around the instance."""
    try:
        await asyncio.wait_for(health.ping(), timeout=2.0)
    except Exception as exc:
        log.warning("health check failed: %s", type(exc).__name__)
        return JSONResponse({"status": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok"})


def cors(settings: Settings) -> list[Middleware]:
    """Browser apps on KEYPLANE_CORS_ORIGINS may call keyplane with a bearer token (no cookies, so
    no credentials mode); with none configured there is no CORS at all and browsers refuse."""
    if not settings.cors_origins:
        return []
    return [Middleware(CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["GET", "POST"],
                       allow_headers=["Authorization", "Content-Type", "Accept"], max_age=600)]


class Keyplane(Starlette):
    """The application; the data plane's POSTs are answered by ``hot_path`` before the middleware
    stack and the router see them (app/dataplane/hot_path.py), everything else by Starlette."""

    hot_path: HotPath

    async def __call__(self, scope, receive, send) -> None:
        if not await self.hot_path.answered(scope, receive, send):
            await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None, clock: Clock | None = None, *, manage_database: bool = True,
               resolver: Resolver | None = None, webhook_transport=None) -> Keyplane:
    """``manage_database=False`` when the caller (a test) has already opened the database; ``resolver``
    and ``webhook_transport``: how webhook hosts are resolved and reached (tests)."""
    settings = settings or Settings.from_env()
    clock = clock or SystemClock()
    key_cache = KeyCache()
    token_cache = TokenCache(clock)
    catalogs = CatalogCache()
    last_purge_us: list[int | None] = [None]
    firings_after_key = [0]  # where the pruning of alert firings goes on (a large table takes several runs)

    async def housekeeping() -> None:
        """After each poll of the change feed: write last-use times; once a minute drop expired holds,
        change-feed rows older than an hour (every instance has long applied them), and audit events
        finished webhook deliveries and raw usage records past their retention, and the alert firings
        of recurring windows that have ended (in bounded batches)."""
        await key_cache.flush_last_used()
        now_us = to_micros(clock.now())
        last = last_purge_us[0]
        if last is None or not 0 <= now_us - last < PURGE_EVERY_US:  # measured on the injectable clock
            last_purge_us[0] = now_us
            await keystate.purge_expired_holds(sql.client(), now_us)
            await feed_module.prune(now_us)
            if settings.audit_retention_days > 0:
                await audit.prune(sql.client(), now_us - settings.audit_retention_days * DAY_US)
            if settings.webhook_retention_days > 0:
                await outbox.prune(sql.client(), now_us - settings.webhook_retention_days * DAY_US)
            _, firings_after_key[0] = await alert_firings.prune_ended(sql.client(), now_us, firings_after_key[0])
            await partitions.ensure_ahead(now_us)  # PostgreSQL: months to come get their partitions early
            usage_cutoff = retention.prune_before(now_us, settings.usage_retention_days)
            if usage_cutoff is not None:
                await partitions.drop_expired(usage_cutoff)  # PostgreSQL: whole months past the retention
                await usage_records.prune(sql.client(), usage_cutoff)  # then what is left, row by row

    change_feed = feed_module.ChangeFeed(settings.poll_interval_ms, on_tick=housekeeping, clock=clock,
                                         skips_own_counters=True)
    metrics = Metrics()
    dataplane = DataPlane(settings=settings, clock=clock, tokens=token_cache, cache=key_cache, catalogs=catalogs,
                          metrics=metrics)
    graphql = KeyplaneGraphQL(build_schema(settings.graphiql), tokens=token_cache, clock=clock, settings=settings,
                              catalogs=catalogs, resolver=resolver)
    deliverer = Deliverer(settings, clock, resolver, webhook_transport)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        if manage_database:
            await db.open_database(settings, to_micros(clock.now()))
        for listener in (key_cache.on_change, token_cache.on_change, catalogs.on_change):
            changes.subscribe_local(listener)
        changes.subscribe_counters(key_cache.counted_here)
        await change_feed.start()
        await deliverer.start()
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                await dataplane.writes.drain()
            await deliverer.stop()
            await change_feed.stop()
            for listener in (key_cache.on_change, token_cache.on_change, catalogs.on_change):
                changes.unsubscribe_local(listener)
            changes.unsubscribe_counters(key_cache.counted_here)
            with contextlib.suppress(Exception):
                await key_cache.flush_last_used()
            if manage_database:
                await db.close_database()

    app = Keyplane(
        routes=[
            # the data plane's POSTs, when app.hot_path leaves them to the stack (a CORS request)
            Route("/v1/authorize", dataplane.authorize, methods=["POST"]),
            Route("/v1/usage", dataplane.usage, methods=["POST"]),
            Route("/v1/catalog", gateway_catalog.endpoint(dataplane), methods=["GET"]),
            Route("/v1/ext_authz/{path:path}", ext_authz.endpoint(dataplane), methods=ext_authz.METHODS),
            Route("/v1/export/usage", export.endpoint(token_cache), methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", metrics_endpoint(metrics, key_cache, change_feed, settings.metrics_token), methods=["GET"]),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/graphiql/{path:path}", graphiql.asset, methods=["GET"]),
            Route("/documents/{name}.graphql", web.document, methods=["GET"]),
            Route("/", web.static, methods=["GET"]),
            Route("/ui/{path:path}", web.static, methods=["GET"]),
        ],
        lifespan=lifespan,
        exception_handlers={HTTPException: http_errors.router_error},
        middleware=[Middleware(AccessLog), *cors(settings), Middleware(RequestGuards)],
    )
    app.hot_path = HotPath({"/v1/authorize": dataplane.authorize_reply, "/v1/usage": dataplane.usage_reply},
                           cors=bool(settings.cors_origins))
    app.state.settings = settings
    app.state.clock = clock
    app.state.key_cache = key_cache
    app.state.catalogs = catalogs
    app.state.change_feed = change_feed
    app.state.dataplane = dataplane
    app.state.housekeeping = housekeeping
    app.state.deliverer = deliverer
    return app


def app_from_environment() -> Keyplane:
    """The application of one worker process of `keyplane serve --workers N`."""
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    slowclients.configure(settings)
    return create_app(settings, SystemClock())
