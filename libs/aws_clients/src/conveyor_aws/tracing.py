"""OpenTelemetry tracing: one trace follows a request through SNS and SQS to every worker.

Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set. Off, no SDK provider is installed
and nothing is instrumented: the API's no-op tracer stays in place, no span is
made, and a message's trace context is carried on only if it came with one.
On, every service exports its spans over OTLP/HTTP as `conveyor-<service>`, and
botocore is instrumented: each AWS call is a span, and an SNS publish is a
PRODUCER span whose context travels in the message's attributes (raw delivery
hands them on to SQS), where a worker's consumer picks it up
(conveyor_aws.broker.tracing). The exporter reads the standard OTEL_EXPORTER_OTLP_*
and OTEL_BSP_* variables itself.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from typing import Any, Protocol

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.trace import SpanKind, TracerProvider
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from pydantic import AnyHttpUrl

from conveyor_common.log import get_logger
from conveyor_common.settings import BaseConfig

# The W3C trace context: the message attributes (SNS and SQS alike) that carry it.
# SNS and SQS take at most 10 attributes a message; Conveyor's own use at most 4.
CONTEXT_ATTRIBUTES = tuple(sorted(TraceContextTextMapPropagator().fields))
MAX_MESSAGE_ATTRIBUTES = 10
SERVICE_PREFIX = "conveyor-"

logger = get_logger(__name__)
_provider: TracerProvider | None = None


class TracingConfig(BaseConfig):
    # Where spans are exported over OTLP/HTTP (`/v1/traces` is appended); unset, none are made.
    otel_exporter_otlp_endpoint: AnyHttpUrl | None = None


class Instrumentor(Protocol):
    """An OpenTelemetry instrumentation package's instrumentor (BaseInstrumentor)."""

    def instrument(self, **kwargs: Any) -> None: ...


def start_tracing(
    service: str, settings: TracingConfig, *, instrumentors: Iterable[Instrumentor] = ()
) -> TracerProvider | None:
    """Install the SDK provider and instrument botocore and the given libraries; at start-up,
    before any client, pool or engine is built. None, doing nothing, when tracing is off."""
    global _provider
    if settings.otel_exporter_otlp_endpoint is None:
        return None
    if _provider is None:
        _provider = _install(service, instrumentors)
        logger.info("tracing on", endpoint=str(settings.otel_exporter_otlp_endpoint))
    return _provider


def _install(service: str, instrumentors: Iterable[Instrumentor]) -> TracerProvider:
    # Imported here: a process that does not trace never loads the SDK, the exporter
    # or the instrumentation.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.botocore import BotocoreInstrumentor
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = SdkTracerProvider(resource=Resource.create({SERVICE_NAME: SERVICE_PREFIX + service}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    # W3C trace context only: two attributes a message, whatever OTEL_PROPAGATORS says.
    propagate.set_global_textmap(TraceContextTextMapPropagator())
    botocore: Instrumentor = BotocoreInstrumentor()  # type: ignore[no-untyped-call]
    for instrumentor in (botocore, *instrumentors):
        instrumentor.instrument(tracer_provider=provider)
    return provider


def provider() -> TracerProvider | None:
    """The provider start_tracing installed; None while tracing is off."""
    return _provider


def untraced() -> AbstractContextManager[object]:
    """Calls made inside make no span: a worker's receive polls, most of which find
    nothing, would each be a trace of their own. Nothing to do while tracing is off."""
    if _provider is None:
        return contextlib.nullcontext()
    from opentelemetry.instrumentation.utils import suppress_instrumentation

    return suppress_instrumentation()


@contextlib.contextmanager
def publishing(topic_arn: str) -> Iterator[dict[str, dict[str, str]]]:
    """A PRODUCER span for one message published to `topic_arn`, made by the caller
    whose work the message continues, and the message attributes that carry the
    span's context; no span and no attributes while tracing is off.

    Publishes go out in batches from other threads (conveyor_aws.publisher), so the
    batch call's own span could not stand for any one message, and botocore's
    instrumentation would give every message in it the same context."""
    if _provider is None:
        yield {}
        return
    topic = topic_arn.rsplit(":", 1)[-1]
    with _provider.get_tracer(__name__).start_as_current_span(
        f"{topic} send",
        kind=SpanKind.PRODUCER,
        attributes={
            "messaging.system": "aws.sns",
            "messaging.destination.name": topic,
            "messaging.operation": "publish",
        },
    ):
        carrier: dict[str, str] = {}
        TraceContextTextMapPropagator().inject(carrier)
        yield as_attributes(carrier)


def context_of(attributes: Mapping[str, Any]) -> dict[str, str]:
    """The trace context a message's attributes carry, as text; empty if none."""
    carried: dict[str, str] = {}
    for name in CONTEXT_ATTRIBUTES:
        value = attributes.get(name, {}).get("StringValue")
        if value:
            carried[name] = value
    return carried


def as_attributes(carried: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """A carried trace context as message attributes, to send it on."""
    return {
        name: {"DataType": "String", "StringValue": carried[name]}
        for name in CONTEXT_ATTRIBUTES
        if carried.get(name)
    }


def extract(carried: Mapping[str, str]) -> Context:
    """The context a carried trace context continues; the empty context if none."""
    return TraceContextTextMapPropagator().extract(carried)
