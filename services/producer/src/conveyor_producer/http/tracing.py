"""The API's server spans: Litestar's OpenTelemetry plugin, while tracing is on.

Each request is a SERVER span named after its method and route template
(`GET /api/v1/orders/{order_id}`, never a raw path, as the metrics), the root of the
trace its AWS calls, its queries and the events it publishes join
(conveyor_aws.tracing). Probes and scrapes are left out: they would be most of
the traces and tell nothing about a request.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.plugins import PluginProtocol
from litestar.plugins.opentelemetry import OpenTelemetryConfig, OpenTelemetryPlugin
from litestar.types import BeforeRequestHookHandler, Scope
from opentelemetry import trace

from conveyor_aws import tracing
from conveyor_common.links import LINKS_PATH
from conveyor_producer.http.metrics import METRICS_PATH

UNTRACED_PATHS = ("/health", "/ready", METRICS_PATH)
# Paths that hold a secret (a lasting link's token): a span would record it in
# http.target and http.url, and whoever reads traces could follow the link.
SECRET_PATH_PREFIXES = (f"{LINKS_PATH}/",)


def tracing_plugins() -> list[PluginProtocol]:
    """The plugin when tracing is on; none when it is off, so a request costs nothing."""
    provider = tracing.provider()
    if provider is None:
        return []
    config = OpenTelemetryConfig(
        tracer_provider=provider,
        scope_span_details_extractor=method_only,
        exclude=[
            *(f"^{path}$" for path in UNTRACED_PATHS),
            *(f"^{prefix}" for prefix in SECRET_PATH_PREFIXES),
        ],
        # One span per request: the ASGI receive and send events would add two more each.
        exclude_spans=["receive", "send"],
    )
    return [OpenTelemetryPlugin(config)]


def method_only(scope: Scope) -> tuple[str, dict[str, Any]]:
    """The span's name until routing has found the route (name_by_route): the method alone, as
    OpenTelemetry's conventions name a request that matches no route. Never the raw path: an
    id in it would make a span name per order."""
    return str(dict(scope).get("method", "HTTP")), {}


def name_by_route(request: Request[Any, Any, Any]) -> None:
    """Name the request's span after its method and route template, once routing has set it."""
    route = str(request.scope["path_template"])
    span = trace.get_current_span()
    span.update_name(f"{request.method} {route}")
    span.set_attribute("http.route", route)


def tracing_hook() -> BeforeRequestHookHandler | None:
    """The hook naming each request's span while tracing is on; none while it is off."""
    return name_by_route if tracing.provider() is not None else None
