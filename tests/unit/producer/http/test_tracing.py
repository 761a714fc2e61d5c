"""The API's server spans: one per request while tracing is on, none for probes, and no
OpenTelemetry middleware at all while it is off."""

from __future__ import annotations

import uuid

import pytest
from litestar.plugins.opentelemetry import OpenTelemetryPlugin
from litestar.testing import TestClient
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from conveyor_aws import tracing
from conveyor_common.links import LINKS_PATH, new_token
from conveyor_producer.app import create_app
from conveyor_producer.composition import Adapters
from conveyor_producer.settings import ProducerSettings


@pytest.fixture
def exporter(monkeypatch: pytest.MonkeyPatch) -> InMemorySpanExporter:
    """Tracing on, as start_tracing leaves it, with the spans kept in memory."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(tracing, "_provider", provider)
    return exporter


def test_each_api_request_is_a_server_span_named_by_its_route(
    exporter: InMemorySpanExporter,
    settings: ProducerSettings,
    adapters: Adapters,
    auth: dict[str, str],
) -> None:
    order_id = uuid.uuid4()
    with TestClient(create_app(settings, adapters)) as client:
        client.get(f"/api/v1/orders/{order_id}", headers=auth)
        client.get("/health")
        client.get("/ready")

    [span] = [s for s in exporter.get_finished_spans() if s.kind == SpanKind.SERVER]
    assert span.name.startswith("GET /api/v1/orders/{order_id"), span.name
    assert span.attributes is not None
    assert span.attributes["http.route"] == span.name.removeprefix("GET ")
    assert str(order_id) not in span.name, span.name


def test_a_followed_link_leaves_no_span_to_read_its_token_from(
    exporter: InMemorySpanExporter, settings: ProducerSettings, adapters: Adapters
) -> None:
    token = new_token()
    with TestClient(create_app(settings, adapters)) as client:
        assert client.get(f"{LINKS_PATH}/{token}").status_code == 404

    assert [span for span in exporter.get_finished_spans() if token in str(span.to_json())] == []
    assert exporter.get_finished_spans() == ()


def test_without_tracing_the_app_has_no_plugin(
    settings: ProducerSettings, adapters: Adapters
) -> None:
    app = create_app(settings, adapters)

    assert tracing.provider() is None
    assert not any(isinstance(plugin, OpenTelemetryPlugin) for plugin in app.plugins)
    assert app.before_request is None
