"""A worker's `/metrics`: served on METRICS_PORT, beside its liveness record.

Unset, no server starts (a local run, or a test that does not scrape). The
containers set a port per worker (docker-compose.yml, infra/terraform/envs/aws/services.tf).
Metrics are secondary to the work: a port that cannot be bound is logged, and
the worker consumes all the same.
"""

from __future__ import annotations

from wsgiref.simple_server import WSGIServer

from prometheus_client import REGISTRY, start_http_server
from prometheus_client.registry import Collector
from pydantic import Field

from conveyor_common.log import get_logger
from conveyor_common.settings import BaseConfig

MAX_PORT = 65_535

logger = get_logger(__name__)


class MetricsConfig(BaseConfig):
    # Where the worker serves /metrics; unset, it serves none.
    metrics_port: int | None = Field(default=None, ge=1, le=MAX_PORT)
    # All interfaces by default: Prometheus scrapes the container from outside.
    metrics_host: str = "0.0.0.0"  # noqa: S104


def serve_metrics(settings: MetricsConfig, *collectors: Collector) -> WSGIServer | None:
    """Register the collectors and start the server; its handle, or None if there is none."""
    if settings.metrics_port is None:
        return None
    for collector in collectors:
        REGISTRY.register(collector)
    try:
        server, _thread = start_http_server(settings.metrics_port, addr=settings.metrics_host)
    except OSError:
        logger.error("metrics not served", port=settings.metrics_port, exc_info=True)
        return None
    logger.info("metrics served", host=settings.metrics_host, port=settings.metrics_port)
    return server
