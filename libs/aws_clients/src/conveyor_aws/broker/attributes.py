"""What a message carries from one delivery to the next, and into the DLQ.

Every retry is a new SQS message, so its history (conveyor_aws.delivery.History)
travels in message attributes rather than in SQS's own receive count; a parked
message carries its reason in the `conveyor_error` attribute. Retries and parked
messages keep the trace context the first delivery came with (conveyor_aws.tracing),
so they stay in the request's trace. Inside a worker, the middleware hands the
consumer a message's fate in dramatiq message options.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from conveyor_aws import tracing
from conveyor_aws.delivery import MAX_REASON_LENGTH, History
from conveyor_aws.publisher import EVENT_TYPE_ATTRIBUTE

RETRIES_ATTRIBUTE = "conveyor_retries"
FIRST_FAILURE_ATTRIBUTE = "conveyor_first_failure_ms"
UNEXPECTED_ATTRIBUTE = "conveyor_unexpected_failures"
ERROR_ATTRIBUTE = "conveyor_error"
# Message option holding the latest failure, for the DLQ's reason attribute.
FAILURE_OPTION = "conveyor_failure"
# Message option set when a retry could not be sent: the original must stay on the queue.
KEEP_OPTION = "conveyor_keep_seconds"
# Message option holding the trace context the message came with, as text.
TRACE_OPTION = "conveyor_trace"


def trace_options(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """The message options that carry a received message's trace context, if it has one."""
    carried = tracing.context_of(attributes)
    return {TRACE_OPTION: carried} if carried else {}


def carried_trace(options: Mapping[str, Any]) -> dict[str, str]:
    """The trace context a message came with (trace_options); empty if none."""
    carried: dict[str, str] = options.get(TRACE_OPTION) or {}
    return carried


def retry_attributes(
    event_type: str, history: History, trace: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The attributes of a retry: its event type, which routes it, its history and the
    trace context it came with."""
    attributes = {
        EVENT_TYPE_ATTRIBUTE: _string(event_type),
        RETRIES_ATTRIBUTE: _number(history.retries),
        UNEXPECTED_ATTRIBUTE: _number(history.unexpected_failures),
    }
    if history.first_failure_ms is not None:
        attributes[FIRST_FAILURE_ATTRIBUTE] = _number(history.first_failure_ms)
    if trace:
        attributes |= tracing.as_attributes(trace)
    return attributes


def history_from_attributes(attributes: Mapping[str, Any]) -> History:
    """The history a received message carries; a first delivery has none."""

    def number(name: str) -> int | None:
        value = attributes.get(name, {}).get("StringValue")
        return int(value) if value is not None else None

    return History(
        retries=number(RETRIES_ATTRIBUTE) or 0,
        first_failure_ms=number(FIRST_FAILURE_ATTRIBUTE),
        unexpected_failures=number(UNEXPECTED_ATTRIBUTE) or 0,
    )


def parked_attributes(
    *, event_type: str | None, reason: str, trace: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The attributes of a message parked in the DLQ: why, its event type if known, and
    the trace context it came with, which a redrive carries on."""
    attributes = {ERROR_ATTRIBUTE: _string(reason[:MAX_REASON_LENGTH])}
    if event_type:
        attributes[EVENT_TYPE_ATTRIBUTE] = _string(event_type)
    if trace:
        attributes |= tracing.as_attributes(trace)
    return attributes


def _string(value: str) -> dict[str, str]:
    return {"DataType": "String", "StringValue": value}


def _number(value: int) -> dict[str, str]:
    return {"DataType": "Number", "StringValue": str(value)}
