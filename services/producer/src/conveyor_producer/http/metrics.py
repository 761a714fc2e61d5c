"""The producer's Prometheus metrics: request counts and latency by route and status.

Litestar's Prometheus integration defines the metrics and serves them. Its middleware
records every request but the scrape itself, labelled by route template
(`group_path`), not by raw path, so that an order's id in its path does not make a
series per order. `/metrics` sits beside the operations routes, outside the API and
its token, and out of the OpenAPI schema: it serves Prometheus's text format, not
JSON, and is no part of the API.
"""

from __future__ import annotations

import time
from typing import Any

from litestar.enums import ScopeType
from litestar.middleware import DefineMiddleware
from litestar.plugins.prometheus import (
    PrometheusConfig,
    PrometheusController,
    PrometheusMiddleware,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ASGIApp, Message, Receive, Scope, Send

METRICS_PATH = "/metrics"
# Metric names start with this: conveyor_producer_requests_total,
# conveyor_producer_request_duration_seconds, conveyor_producer_requests_in_progress,
# conveyor_producer_requests_error_total.
METRICS_PREFIX = "conveyor_producer"
APP_NAME = "producer"
# The status a request's in-progress series is labelled with, as Litestar labels it.
IN_PROGRESS_STATUS = 200


class RequestMetrics(PrometheusMiddleware):
    """Litestar's Prometheus middleware, same metrics and labels, at a fraction of the
    cost. The stock one builds a Request, a label dict and a wrapped `send`, and looks
    its series up by label values four times for every request: about a sixth of the
    API's own time (bench/api_overhead.py). This one keeps each (method, route,
    status)'s series once looked up, and reads the scope itself."""

    def __init__(self, app: ASGIApp, config: PrometheusConfig) -> None:
        if config.labels or config.exemplars or config.excluded_http_methods:
            raise ValueError("RequestMetrics records the default labels only")
        if not config.group_path:
            raise ValueError("RequestMetrics labels requests by route template only")
        super().__init__(app, config)
        # (method, route) -> its in-progress gauge; (method, route, status) -> its
        # counter, histogram and error counter (None below 500). Bounded: routes are
        # templates, and methods and statuses few.
        self._in_progress: dict[tuple[str, str], Any] = {}
        self._finished: dict[tuple[str, str, int], tuple[Any, Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        method = scope["method"] if scope["type"] == ScopeType.HTTP else scope["type"]
        route = (method, scope["path_template"])
        answer = {"status": IN_PROGRESS_STATUS, "seconds": 0.0}

        async def timed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
            elif message["type"] == "http.response.body":
                answer["seconds"] = time.perf_counter() - started
            await send(message)

        in_progress = self._in_progress_of(route)
        in_progress.inc()
        try:
            await self.app(scope, receive, timed_send)
        finally:
            in_progress.dec()
            requests, durations, errors = self._finished_of(route, int(answer["status"]))
            requests.inc()
            durations.observe(answer["seconds"])
            if errors is not None:
                errors.inc()

    def _labels(self, method: str, path: str, status: int) -> dict[str, str | int | float]:
        # In the order Litestar labels its series.
        return {
            "method": method,
            "path": path,
            "status_code": status,
            "app_name": self._config.app_name,
        }

    def _in_progress_of(self, route: tuple[str, str]) -> Any:
        series = self._in_progress.get(route)
        if series is None:
            labels = self._labels(*route, IN_PROGRESS_STATUS)
            series = self.requests_in_progress(labels).labels(*labels.values())
            self._in_progress[route] = series
        return series

    def _finished_of(self, route: tuple[str, str], status: int) -> tuple[Any, Any, Any]:
        key = (*route, status)
        series = self._finished.get(key)
        if series is None:
            labels = self._labels(*key)
            values = [*labels.values()]
            errors = None
            if status >= HTTP_500_INTERNAL_SERVER_ERROR:
                errors = self.requests_error_count(labels).labels(*values)
            series = (
                self.request_count(labels).labels(*values),
                self.request_time(labels).labels(*values),
                errors,
            )
            self._finished[key] = series
        return series


PROMETHEUS = PrometheusConfig(
    app_name=APP_NAME,
    prefix=METRICS_PREFIX,
    group_path=True,
    exclude=[METRICS_PATH],
    middleware_class=RequestMetrics,
)


class MetricsController(PrometheusController):
    path = METRICS_PATH
    include_in_schema = False


def metrics_middleware() -> DefineMiddleware:
    return PROMETHEUS.middleware
