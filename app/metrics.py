"""Prometheus metrics at /metrics (prometheus-client: the reference client, well kept).

Each app gets its own registry, so two apps in one process (tests) never share counters.
"""
from __future__ import annotations

import hmac
import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response

from app.http_errors import error_response

_GROUP_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 500, 1000)
_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.decisions = Counter("keyplane_authorize_decisions", "Authorize answers by code", ["code"],
                                 registry=self.registry)
        self.usage_events = Counter("keyplane_usage_events", "Usage events by result", ["result"],
                                    registry=self.registry)
        self.latency = Histogram("keyplane_request_seconds", "Request latency by route", ["route"],
                                 buckets=_LATENCY_BUCKETS, registry=self.registry)
        self.cache_lookups = Counter("keyplane_key_cache_lookups", "Key cache lookups by result", ["result"],
                                     registry=self.registry)
        self.cached_keys = Gauge("keyplane_key_cache_entries", "Keys held in the process cache", registry=self.registry)
        self.propagation_lag = Gauge("keyplane_change_feed_lag_seconds",
                                     "Age of the newest change when this instance applied it", registry=self.registry)
        self.group_items = Histogram("keyplane_group_commit_items",
                                     "Items (usage events and holds) per group-commit transaction of the data plane",
                                     buckets=_GROUP_BUCKETS, registry=self.registry)
        self.feed_healthy = Gauge("keyplane_change_feed_healthy", "1 when the last change-feed poll succeeded",
                                  registry=self.registry)

        self._children: dict[tuple, object] = {}

    def child(self, metric, label: str):
        """``metric.labels(label)``, looked up once: the data plane asks on every request."""
        found = self._children.get((id(metric), label))
        if found is None:
            found = self._children[(id(metric), label)] = metric.labels(label)
        return found

    def timer(self, route: str):
        return _Timer(self.child(self.latency, route))


class _Timer:
    __slots__ = ("histogram", "started")

    def __init__(self, histogram) -> None:
        self.histogram = histogram

    def __enter__(self):
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.histogram.observe(time.perf_counter() - self.started)


def authorized(token: str | None, header: str | None) -> bool:
    """With KEYPLANE_METRICS_TOKEN set, the scraper must send it as a bearer token (compared in
    constant time, so its timing tells nothing about the token); unset, /metrics is open."""
    if token is None:
        return True
    scheme, _, given = (header or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def endpoint(metrics: Metrics, cache, feed, token: str | None = None):
    last = {"hits": 0, "misses": 0}

    async def render(request: Request) -> Response:
        if not authorized(token, request.headers.get("authorization")):
            return error_response(401, "UNAUTHENTICATED", "/metrics needs its bearer token")
        # cache counters are plain ints on the hot path; fold them in when scraped
        metrics.cache_lookups.labels("hit").inc(cache.hits - last["hits"])
        metrics.cache_lookups.labels("miss").inc(cache.misses - last["misses"])
        last["hits"], last["misses"] = cache.hits, cache.misses
        metrics.cached_keys.set(len(cache))
        metrics.propagation_lag.set(feed.lag_seconds)
        metrics.feed_healthy.set(1 if feed.healthy else 0)
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return render
