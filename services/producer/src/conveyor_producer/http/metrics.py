"""The producer's Prometheus metrics: request counts and latency by route and status.

Litestar's Prometheus middleware records every request but the scrape itself,
labelled by route template (`group_path`), not by raw path, so that an order's
id in its path does not make a series per order. `/metrics` sits beside the
operations routes, outside the API and its token, and out of the OpenAPI schema:
it serves Prometheus's text format, not JSON, and is no part of the API.
"""

from __future__ import annotations

from litestar.middleware import DefineMiddleware
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController

METRICS_PATH = "/metrics"
# Metric names start with this: conveyor_producer_requests_total,
# conveyor_producer_request_duration_seconds, conveyor_producer_requests_in_progress.
METRICS_PREFIX = "conveyor_producer"

PROMETHEUS = PrometheusConfig(
    app_name="producer",
    prefix=METRICS_PREFIX,
    group_path=True,
    exclude=[METRICS_PATH],
)


class MetricsController(PrometheusController):
    path = METRICS_PATH
    include_in_schema = False


def metrics_middleware() -> DefineMiddleware:
    return PROMETHEUS.middleware
