"""The API's server spans: Litestar's OpenTelemetry plugin, while tracing is on.

Each request is a SERVER span named after its route template, the root of the
trace its AWS calls, its queries and the events it publishes join
(conveyor_aws.tracing). Probes and scrapes are left out: they would be most of
the traces and tell nothing about a request.
"""

from __future__ import annotations

from litestar.plugins import PluginProtocol
from litestar.plugins.opentelemetry import OpenTelemetryConfig, OpenTelemetryPlugin

from conveyor_aws import tracing
from conveyor_producer.http.metrics import METRICS_PATH

UNTRACED_PATHS = ("/health", "/ready", METRICS_PATH)


def tracing_plugins() -> list[PluginProtocol]:
    """The plugin when tracing is on; none when it is off, so a request costs nothing."""
    provider = tracing.provider()
    if provider is None:
        return []
    config = OpenTelemetryConfig(
        tracer_provider=provider,
        exclude=[f"^{path}$" for path in UNTRACED_PATHS],
        # One span per request: the ASGI receive and send events would add two more each.
        exclude_spans=["receive", "send"],
    )
    return [OpenTelemetryPlugin(config)]
