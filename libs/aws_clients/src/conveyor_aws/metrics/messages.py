"""What each worker counts about the messages it handles.

The outcome of a handled message is what the delivery policy
(conveyor_aws.broker.middleware.DeliveryPolicy) made of it: `ok`, `retried`
(sent again as a new message), `parked` (failed, moved to the DLQ), or
`postponed` (a Postpone: sent again after its delay, no failure). MessageMetrics
reads it after the policy has decided, so it must come before DeliveryPolicy in
the broker's middleware list: dramatiq runs `after_*` hooks in reverse order.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from enum import StrEnum
from typing import Any

import dramatiq
from dramatiq.middleware import Middleware
from prometheus_client import Counter, Histogram

from conveyor_aws.delivery import Postpone


class Outcome(StrEnum):
    OK = "ok"
    RETRIED = "retried"
    PARKED = "parked"
    POSTPONED = "postponed"


class DlqReason(StrEnum):
    PARKED = "parked"
    UNDELIVERABLE = "undeliverable"


# Seconds: from a quick order (tens of ms) to an export or import of the largest size.
HANDLING_BUCKETS_SECONDS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 7200)

MESSAGES_HANDLED = Counter(
    "conveyor_messages_handled",
    "Messages a worker handled, by event type and outcome.",
    ["service", "event_type", "outcome"],
)
HANDLING_SECONDS = Histogram(
    "conveyor_message_handling_seconds",
    "Time a worker's handler spent on a message, whatever its outcome.",
    ["service", "event_type"],
    buckets=HANDLING_BUCKETS_SECONDS,
)
RETRIES = Counter(
    "conveyor_message_retries",
    "Failed messages the delivery policy sent again for a retry.",
    ["service", "event_type"],
)
DLQ_SENDS = Counter(
    "conveyor_dlq_sends",
    "Messages a worker moved to a DLQ: parked by the policy, or undeliverable.",
    ["service", "queue", "reason"],
)


def outcome_of(exception: BaseException | None, *, failed: bool) -> Outcome:
    """The outcome, once the delivery policy has failed (parked) the message or not."""
    if exception is None:
        return Outcome.OK
    if isinstance(exception, Postpone):
        return Outcome.POSTPONED
    return Outcome.PARKED if failed else Outcome.RETRIED


class MessageMetrics(Middleware):
    """Counts each handled message by outcome, and times its handling."""

    def __init__(self, *, service: str, clock: Callable[[], float] = time.perf_counter) -> None:
        self.service = service
        self._clock = clock
        self._started: dict[str, float] = {}
        self._lock = threading.Lock()

    def before_process_message(self, broker: dramatiq.Broker, message: Any) -> None:
        with self._lock:
            self._started[message.message_id] = self._clock()

    def after_process_message(
        self, broker: dramatiq.Broker, message: Any, *, result: Any = None, exception: Any = None
    ) -> None:
        with self._lock:
            started = self._started.pop(message.message_id, None)
        event_type = message.actor_name
        if started is not None:
            HANDLING_SECONDS.labels(self.service, event_type).observe(self._clock() - started)
        outcome = outcome_of(exception, failed=bool(getattr(message, "failed", False)))
        MESSAGES_HANDLED.labels(self.service, event_type, outcome.value).inc()
        if outcome is Outcome.RETRIED:
            RETRIES.labels(self.service, event_type).inc()

    def after_skip_message(self, broker: dramatiq.Broker, message: Any) -> None:
        with self._lock:
            self._started.pop(message.message_id, None)
