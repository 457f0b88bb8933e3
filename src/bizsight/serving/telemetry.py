"""Prometheus metrics of the server: requests by route and status, their durations, the result
cache. Each app has its own registry, so several apps in one process (tests) do not collide."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bizsight.services.query import RESULTS


class Telemetry:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "bizsight_http_requests", "HTTP requests", ["method", "route", "status"], registry=self.registry
        )
        self.seconds = Histogram(
            "bizsight_http_request_seconds",
            "Time to answer a request",
            ["route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        cache = Gauge(
            "bizsight_query_cache", "Metric query result cache", ["outcome"], registry=self.registry
        )
        cache.labels("hit").set_function(lambda: RESULTS.hits)
        cache.labels("miss").set_function(lambda: RESULTS.misses)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.seconds.labels(route).observe(seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
