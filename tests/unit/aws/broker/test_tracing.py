"""The trace context in message attributes: put there by the publisher's PRODUCER span
(batched publishes carry each caller's own), picked up by the consumer, continued by
the process span and kept by retries and parked messages, within SNS's and SQS's 10
attributes a message."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from opentelemetry import trace
from opentelemetry.instrumentation.botocore import BotocoreInstrumentor
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from tests.unit.aws.broker.fakes import FakeQueue, FakeSqsMessage, a_consumer, an_envelope_body

from conveyor_aws import tracing
from conveyor_aws.broker.attributes import (
    carried_trace,
    parked_attributes,
    retry_attributes,
    trace_options,
)
from conveyor_aws.broker.envelope_broker import EnvelopeBroker
from conveyor_aws.broker.tracing import ProcessSpans
from conveyor_aws.delivery import History, Postpone
from conveyor_aws.publisher import EventPublisher
from conveyor_common.envelope import decode

TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:conveyor-events"
TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
FULL_HISTORY = History(retries=7, first_failure_ms=1_750_000_000_000, unexpected_failures=2)


class Traced:
    """An SDK provider whose finished spans the test reads, and botocore instrumented with it."""

    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        self.provider = TracerProvider()
        self.provider.add_span_processor(SimpleSpanProcessor(self.exporter))

    def spans(self, kind: SpanKind) -> list[ReadableSpan]:
        return [span for span in self.exporter.get_finished_spans() if span.kind == kind]


@pytest.fixture
def traced(monkeypatch: pytest.MonkeyPatch) -> Iterator[Traced]:
    traced = Traced()
    # What tracing.start_tracing installs, without the OTLP exporter.
    monkeypatch.setattr(tracing, "_provider", traced.provider)
    BotocoreInstrumentor().instrument(tracer_provider=traced.provider)  # type: ignore[no-untyped-call]
    try:
        yield traced
    finally:
        BotocoreInstrumentor().uninstrument()  # type: ignore[no-untyped-call]


def published_attributes(publisher_client: Any) -> list[dict[str, Any]]:
    """The MessageAttributes of each message published, as botocore is about to send them."""
    seen: list[dict[str, Any]] = []

    def capture(params: dict[str, Any], **_: Any) -> None:
        for entry in params["PublishBatchRequestEntries"]:
            seen.append(dict(entry.get("MessageAttributes") or {}))

    publisher_client.meta.events.register("before-parameter-build.sns.PublishBatch", capture)
    return seen


def an_sns_client() -> tuple[Any, Stubber]:
    client = boto3.client(
        "sns", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    stubber = Stubber(client)
    return client, stubber


def publish(client: Any, stubber: Stubber) -> dict[str, Any]:
    seen = published_attributes(client)
    stubber.add_response(
        "publish_batch", {"Successful": [{"Id": "0", "MessageId": "m-1"}], "Failed": []}
    )
    with stubber:
        EventPublisher(topic_arn=TOPIC_ARN, client=client).publish(decode(an_envelope_body()))
    [attributes] = seen
    return attributes


def test_a_publish_is_a_producer_span_whose_context_the_message_carries(traced: Traced) -> None:
    client, stubber = an_sns_client()
    tracer = traced.provider.get_tracer("test")

    with tracer.start_as_current_span("POST /api/v1/orders") as request:
        attributes = publish(client, stubber)

    [producer] = traced.spans(SpanKind.PRODUCER)
    assert producer.parent is not None
    assert producer.parent.span_id == request.get_span_context().span_id
    _, trace_id, span_id, _ = tracing.context_of(attributes)["traceparent"].split("-")
    assert (trace_id, span_id) == (
        f"{producer.context.trace_id:032x}",
        f"{producer.context.span_id:016x}",
    )


def test_the_consumer_continues_the_producers_trace_and_passes_it_on(traced: Traced) -> None:
    # given a message published under a request's span, as SQS delivers it
    client, stubber = an_sns_client()
    with traced.provider.get_tracer("test").start_as_current_span("request"):
        attributes = publish(client, stubber)
    [producer] = traced.spans(SpanKind.PRODUCER)
    queue = FakeQueue()
    queue.to_receive = [FakeSqsMessage(an_envelope_body(), attributes)]
    message = next(a_consumer(FakeQueue(), queue))
    spans = ProcessSpans(traced.provider)

    # when the worker handles it, publishing a follow-up event
    spans.before_process_message(None, message)  # type: ignore[arg-type]
    follow_up = publish(client, stubber)
    spans.after_process_message(None, message)  # type: ignore[arg-type]

    # then its CONSUMER span is the producer's child, and the follow-up is inside it
    [process] = traced.spans(SpanKind.CONSUMER)
    assert process.name == "process q"
    assert process.parent is not None
    assert process.parent.span_id == producer.context.span_id
    assert process.context.trace_id == producer.context.trace_id
    assert process.attributes is not None
    assert process.attributes["messaging.operation.type"] == "process"
    _, second = traced.spans(SpanKind.PRODUCER)
    assert second.parent is not None
    assert second.parent.span_id == process.context.span_id
    assert tracing.context_of(follow_up)["traceparent"].split("-")[1] == (
        f"{producer.context.trace_id:032x}"
    )


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (RuntimeError("bug"), StatusCode.ERROR),
        (Postpone("busy", delay_seconds=1), StatusCode.UNSET),
    ],
)
def test_a_failed_handling_marks_its_span_and_a_postponed_one_does_not(
    error: Exception, status: StatusCode
) -> None:
    traced = Traced()
    queue = FakeQueue()
    queue.to_receive = [FakeSqsMessage(an_envelope_body(), tracing.as_attributes({}))]
    message = next(a_consumer(FakeQueue(), queue))
    spans = ProcessSpans(traced.provider)

    spans.before_process_message(None, message)  # type: ignore[arg-type]
    spans.after_process_message(None, message, exception=error)  # type: ignore[arg-type]

    [process] = traced.spans(SpanKind.CONSUMER)
    assert process.status.status_code == status
    assert process.parent is None
    assert trace.get_current_span() is trace.INVALID_SPAN


def test_a_received_trace_context_rides_on_retries_and_into_the_dlq() -> None:
    received = {"traceparent": {"DataType": "String", "StringValue": TRACEPARENT}}
    carried = carried_trace(trace_options(received))

    retry = retry_attributes("OrderSubmitted", FULL_HISTORY, carried)
    parked = parked_attributes(event_type="OrderSubmitted", reason="r", trace=carried)

    assert tracing.context_of(retry) == tracing.context_of(parked) == {"traceparent": TRACEPARENT}


def test_a_message_without_a_trace_context_gets_none() -> None:
    assert trace_options({}) == {}
    assert carried_trace({}) == {}
    assert tracing.context_of(retry_attributes("OrderSubmitted", FULL_HISTORY)) == {}


def test_every_message_conveyor_sends_has_room_for_the_trace_context() -> None:
    full_context = dict.fromkeys(tracing.CONTEXT_ATTRIBUTES, "x")
    client = RecordingSns()
    EventPublisher(topic_arn=TOPIC_ARN, client=client).publish(decode(an_envelope_body()))  # type: ignore[arg-type]
    published = client.attributes | tracing.as_attributes(full_context)
    retry = retry_attributes("OrderSubmitted", FULL_HISTORY, full_context)
    parked = parked_attributes(event_type="OrderSubmitted", reason="r", trace=full_context)

    for attributes in (published, retry, parked):
        assert set(full_context) <= set(attributes)
        assert len(attributes) <= tracing.MAX_MESSAGE_ATTRIBUTES


class RecordingSns:
    def __init__(self) -> None:
        self.attributes: dict[str, Any] = {}

    def publish_batch(self, **kwargs: Any) -> dict[str, Any]:
        [entry] = kwargs["PublishBatchRequestEntries"]
        self.attributes = entry["MessageAttributes"]
        return {"Successful": [{"Id": entry["Id"], "MessageId": "m-1"}], "Failed": []}


@pytest.fixture
def region(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the broker's boto3 resource needs to be built; it sends nothing."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.mark.usefixtures("region")
def test_tracing_is_off_without_an_endpoint() -> None:
    settings = tracing.TracingConfig(otel_exporter_otlp_endpoint=None)

    assert tracing.start_tracing("test", settings) is None
    assert tracing.provider() is None
    assert not BotocoreInstrumentor().is_instrumented_by_opentelemetry  # type: ignore[no-untyped-call]
    broker = EnvelopeBroker(service="test", visibility_timeout_seconds=30)
    assert not any(isinstance(middleware, ProcessSpans) for middleware in broker.middleware)


@pytest.mark.usefixtures("region")
def test_a_broker_given_a_provider_makes_process_spans_first_of_its_middleware() -> None:
    broker = EnvelopeBroker(
        service="test", visibility_timeout_seconds=30, tracer_provider=Traced().provider
    )

    assert isinstance(broker.middleware[0], ProcessSpans)
