"""One trace per request across the three services: the API's request, the SNS publish,
the processor's handling and its OrderPersisted, the notifier's handling and its SES send.

A stack of its own exports its spans over OTLP/HTTP to a receiver in this test, which
decodes each ExportTraceServiceRequest; the shared stack stays untraced.
"""

from __future__ import annotations

import gzip
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span as SpanMessage

from conveyor_devstack.ports import LOOPBACK
from conveyor_devstack.stack import Stack

from .conftest import eventually, mint_token

pytestmark = pytest.mark.e2e

PRODUCER, PROCESSOR, NOTIFIER = "conveyor-producer", "conveyor-processor", "conveyor-notifier"
SERVER, PRODUCER_KIND, CONSUMER = (
    SpanMessage.SPAN_KIND_SERVER,
    SpanMessage.SPAN_KIND_PRODUCER,
    SpanMessage.SPAN_KIND_CONSUMER,
)


@dataclass(frozen=True)
class ReceivedSpan:
    service: str
    trace_id: str
    span_id: str
    parent_id: str
    name: str
    kind: int
    attributes: dict[str, Any]


def _value(value: AnyValue) -> Any:
    return getattr(value, value.WhichOneof("value") or "string_value")


def decoded(request: ExportTraceServiceRequest) -> Iterator[ReceivedSpan]:
    for resource_spans in request.resource_spans:
        resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                yield ReceivedSpan(
                    service=str(resource.get("service.name")),
                    trace_id=span.trace_id.hex(),
                    span_id=span.span_id.hex(),
                    parent_id=span.parent_span_id.hex(),
                    name=span.name,
                    kind=span.kind,
                    attributes={a.key: _value(a.value) for a in span.attributes},
                )


class Collector(ThreadingHTTPServer):
    """An OTLP/HTTP trace receiver on loopback, keeping every span it is sent."""

    def __init__(self) -> None:
        super().__init__((LOOPBACK, 0), _ExportHandler)
        self.spans: list[ReceivedSpan] = []
        self.lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        return f"http://{LOOPBACK}:{self.server_address[1]}"

    def received(self) -> list[ReceivedSpan]:
        with self.lock:
            return list(self.spans)


class _ExportHandler(BaseHTTPRequestHandler):
    server: Collector

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        request = ExportTraceServiceRequest.FromString(body)
        with self.server.lock:
            self.server.spans.extend(decoded(request))
        answer = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test reads the spans, not the requests."""


@pytest.fixture(scope="module")
def collector() -> Iterator[Collector]:
    server = Collector()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def traced_stack(
    database_url: str, collector: Collector, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    tracing_env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint,
        # Spans leave within 0.2 s, not the SDK's 5 s.
        "OTEL_BSP_SCHEDULE_DELAY": "200",
    }
    log_dir = Path(tmp_path_factory.mktemp("traced-service-logs"))
    with Stack(database_url=database_url, log_dir=log_dir, extra_env=tracing_env) as running:
        yield running


def a_trace(collector: Collector, trace_id: str) -> list[ReceivedSpan]:
    return [span for span in collector.received() if span.trace_id == trace_id]


def the_order_request(collector: Collector, route: str) -> ReceivedSpan | None:
    servers = [
        span
        for span in collector.received()
        if span.kind == SERVER and span.service == PRODUCER and span.name == route
    ]
    return servers[-1] if servers else None


def complete(spans: list[ReceivedSpan]) -> list[ReceivedSpan] | None:
    """The trace once the notifier's SES send and each worker's handling are in it. A
    handling span ends, and is exported, only after its handler returns: the e-mail can
    be sent, and its span exported, before the processor's handling span reaches us."""
    sent = any(
        s.service == NOTIFIER and s.attributes.get("rpc.method") == "SendEmail" for s in spans
    )
    handled = {s.service for s in spans if s.kind == CONSUMER}
    return spans if sent and {PROCESSOR, NOTIFIER} <= handled else None


def one(spans: list[ReceivedSpan], **wanted: Any) -> ReceivedSpan:
    found = [s for s in spans if all(getattr(s, key) == value for key, value in wanted.items())]
    assert len(found) == 1, f"{wanted}: {found}"
    return found[0]


def ancestors(span: ReceivedSpan, spans: list[ReceivedSpan]) -> list[str]:
    by_id = {s.span_id: s for s in spans}
    chain = []
    while span.parent_id in by_id:
        span = by_id[span.parent_id]
        chain.append(span.span_id)
    return chain


def test_one_trace_follows_an_order_through_every_service(
    traced_stack: Stack, collector: Collector
) -> None:
    # given the three services exporting their spans
    token = mint_token(traced_stack, tenant="trace-tenant")
    body = {
        "customerId": "cust-trace",
        "customerEmail": f"trace-{uuid.uuid4().hex[:8]}@example.com",
        "currency": "EUR",
        "items": [{"sku": "SKU-1", "quantity": 1, "unitPrice": "5.00"}],
        "totalAmount": "5.00",
    }

    # when one order is posted
    response = httpx.post(
        f"{traced_stack.producer_url}/api/v1/orders",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=15,
    )
    assert response.status_code == 202, response.text

    # then one trace holds the request, both workers' handling and the e-mail
    request = eventually(
        lambda: the_order_request(collector, "POST /api/v1/orders"),
        what="the API's request span",
        explain=lambda: "\n".join(str(s) for s in collector.received() if s.kind == SERVER),
    )
    spans = eventually(
        lambda: complete(a_trace(collector, request.trace_id)),
        what="the notifier's SES send in the request's trace",
        explain=lambda: "\n".join(map(str, a_trace(collector, request.trace_id))),
    )
    assert {span.service for span in spans} == {PRODUCER, PROCESSOR, NOTIFIER}
    assert request.parent_id == ""
    assert_the_hops(spans, request)
    polls = [s for s in collector.received() if s.attributes.get("rpc.method") == "ReceiveMessage"]
    assert polls == [], "a worker's receive polls make no traces of their own"


def assert_the_hops(spans: list[ReceivedSpan], request: ReceivedSpan) -> None:
    """Each hop is the child of the one before: publish, process, publish, process, send."""
    submitted = one(spans, service=PRODUCER, kind=PRODUCER_KIND)
    assert submitted.attributes["messaging.system"] == "aws.sns"
    assert request.span_id in ancestors(submitted, spans)

    processing = one(spans, service=PROCESSOR, kind=CONSUMER)
    assert processing.name == "process conveyor-processor"
    assert processing.parent_id == submitted.span_id
    assert processing.attributes["conveyor.event_type"] == "OrderSubmitted"
    assert any(
        s.attributes.get("db.system") == "postgresql" and processing.span_id in ancestors(s, spans)
        for s in spans
    ), "the processor's statements are inside its handling"

    persisted = one(spans, service=PROCESSOR, kind=PRODUCER_KIND)
    assert processing.span_id in ancestors(persisted, spans)

    notifying = one(spans, service=NOTIFIER, kind=CONSUMER)
    assert notifying.parent_id == persisted.span_id
    assert notifying.attributes["conveyor.event_type"] == "OrderPersisted"

    [ses] = [s for s in spans if s.attributes.get("rpc.method") == "SendEmail"]
    assert ses.service == NOTIFIER
    assert notifying.span_id in ancestors(ses, spans)
