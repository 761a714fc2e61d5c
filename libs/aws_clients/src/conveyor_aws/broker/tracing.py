"""A worker's span for each message it handles, in the trace the message came with.

Following OpenTelemetry's messaging conventions, handling a message is a CONSUMER
span, `process <queue>`, whose parent is the context the publisher's PRODUCER span
put in the message's attributes (the SNS publish, or the first delivery's for a
retry); everything the handler does, and every event it publishes, is inside it.
The broker adds this middleware only while tracing is on (conveyor_aws.tracing).
"""

from __future__ import annotations

import threading
from typing import Any

import dramatiq
from dramatiq.middleware import Middleware
from opentelemetry import context, trace
from opentelemetry.trace import SpanKind, Status, StatusCode, TracerProvider

from conveyor_aws import tracing
from conveyor_aws.broker.attributes import carried_trace
from conveyor_aws.delivery import Postpone

MESSAGING_SYSTEM = "aws_sqs"
PROCESS = "process"


class ProcessSpans(Middleware):
    """Wraps each message's handling, and what the delivery policy does after it, in a span.

    First among the broker's middleware, so that its after-hook runs last (dramatiq runs
    them in reverse): a retry or a DLQ send is part of the handling it follows.
    """

    def __init__(self, tracer_provider: TracerProvider) -> None:
        self._tracer = trace.get_tracer(__name__, tracer_provider=tracer_provider)
        # dramatiq runs a message's before- and after-hooks on the worker thread that handles it.
        self._current = threading.local()

    def before_process_message(self, broker: dramatiq.Broker, message: Any) -> None:
        parent = tracing.extract(carried_trace(message.options))
        span = self._tracer.start_span(
            f"{PROCESS} {message.queue_name}",
            context=parent,
            kind=SpanKind.CONSUMER,
            attributes=_attributes(message),
        )
        token = context.attach(trace.set_span_in_context(span, parent))
        self._current.handling = (span, token)

    def after_process_message(
        self, broker: dramatiq.Broker, message: Any, *, result: Any = None, exception: Any = None
    ) -> None:
        handling = getattr(self._current, "handling", None)
        if handling is None:
            return
        self._current.handling = None
        span, token = handling
        # A postponed message is no failure: the same envelope comes back later.
        if exception is not None and not isinstance(exception, Postpone):
            span.record_exception(exception)
            span.set_status(Status(StatusCode.ERROR, type(exception).__name__))
        span.end()
        context.detach(token)

    after_skip_message = after_process_message


def _attributes(message: Any) -> dict[str, str]:
    attributes = {
        "messaging.system": MESSAGING_SYSTEM,
        "messaging.operation.type": PROCESS,
        "messaging.operation.name": PROCESS,
        "messaging.destination.name": message.queue_name,
        # The envelope's event id: what the logs and the DLQ listing name a message by.
        "conveyor.event_id": message.message_id,
        "conveyor.event_type": message.actor_name,
    }
    sqs_message = getattr(message, "_sqs_message", None)
    if sqs_message is not None:
        attributes["messaging.message.id"] = sqs_message.message_id
    return attributes
