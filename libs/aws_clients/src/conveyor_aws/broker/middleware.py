"""The broker's middleware: what happens to a failed message, and to a long one.

- a failure is classified (conveyor_aws.failures) and the delivery policy
  (conveyor_aws.delivery) retries or parks it: a retry re-sends the same
  envelope as a new message, with its history; a parked message is failed, and
  the consumer moves it to the DLQ with its reason;
- a Postpone is no failure: the same message is sent again after its delay,
  its history unchanged;
- if the retry cannot be sent (SQS unreachable), the consumer is told to keep
  the original, which comes back once its visibility lapses;
- a heartbeat keeps long-running messages invisible while they are worked on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import dramatiq
from dramatiq.middleware import Middleware

from conveyor_aws.broker.attributes import FAILURE_OPTION, KEEP_OPTION
from conveyor_aws.delivery import (
    DEFAULT_POLICY,
    Postpone,
    RetryPolicy,
    decide,
    history_from_options,
    history_options,
    postponed_delay_ms,
)
from conveyor_common.log import get_logger

# Sends of a retry before giving up on it (each also retried by botocore).
ENQUEUE_ATTEMPTS = 3
ENQUEUE_RETRY_SECONDS = 1.0
# SQS's ceiling for a message's visibility timeout.
MAX_VISIBILITY_SECONDS = 12 * 3600

logger = get_logger(__name__)


class DeliveryPolicy(Middleware):
    """Retries or parks each failed message, as conveyor_aws.delivery decides.

    Replaces dramatiq's Retries middleware, which retries every exception the
    same number of times and acks the original even when its retry could not
    be sent.
    """

    def __init__(
        self,
        policy: RetryPolicy = DEFAULT_POLICY,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.policy = policy
        self._clock = clock
        self._sleep = sleep

    def after_process_message(
        self, broker: dramatiq.Broker, message: Any, *, result: Any = None, exception: Any = None
    ) -> None:
        if exception is None:
            return
        if isinstance(exception, Postpone):
            self._postpone(broker, message, exception)
            return
        decision = decide(
            exception,
            history_from_options(message.options),
            now_ms=int(self._clock() * 1_000),
            policy=self.policy,
        )
        message.options[FAILURE_OPTION] = decision.reason
        message.options.update(history_options(decision.history))
        log = logger.warning if decision.retry else logger.error
        log(
            "message retried" if decision.retry else "message parked in the DLQ",
            event_type=message.actor_name,
            event_id=message.message_id,
            failure=decision.kind.value,
            retries=decision.history.retries,
            delay_ms=decision.delay_ms,
            reason=decision.reason,
        )
        if not decision.retry:
            message.fail()
            return
        if not self._enqueue(broker, message, delay_ms=decision.delay_ms):
            visibility = max(decision.delay_ms // 1_000, getattr(broker, "visibility_timeout", 0))
            message.options[KEEP_OPTION] = min(visibility, MAX_VISIBILITY_SECONDS)

    def _postpone(self, broker: dramatiq.Broker, message: Any, postpone: Postpone) -> None:
        delay_ms = postponed_delay_ms(postpone)
        logger.info(
            "message postponed",
            event_type=message.actor_name,
            event_id=message.message_id,
            delay_ms=delay_ms,
            reason=str(postpone),
        )
        if not self._enqueue(broker, message, delay_ms=delay_ms):
            message.options[KEEP_OPTION] = min(delay_ms // 1_000, MAX_VISIBILITY_SECONDS)

    def _enqueue(self, broker: dramatiq.Broker, message: Any, *, delay_ms: int) -> bool:
        for attempt in range(1, ENQUEUE_ATTEMPTS + 1):
            try:
                broker.enqueue(message, delay=delay_ms)
            except Exception:
                logger.warning(
                    "could not send the retry",
                    event_id=message.message_id,
                    attempt=attempt,
                    exc_info=True,
                )
                if attempt < ENQUEUE_ATTEMPTS:
                    self._sleep(ENQUEUE_RETRY_SECONDS * attempt)
            else:
                return True
        logger.error("retry not sent; the message stays on its queue", event_id=message.message_id)
        return False


class VisibilityHeartbeat(Middleware):
    """Extends the visibility of in-flight messages so a long job is not redelivered."""

    def __init__(self, *, visibility_timeout_seconds: int) -> None:
        self.visibility_timeout_seconds = visibility_timeout_seconds
        # Renew at a third of the timeout: two missed beats still leave a margin.
        self.interval_seconds = max(1.0, visibility_timeout_seconds / 3)
        self._in_flight: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._stopped = threading.Event()

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        threading.Thread(target=self._beat, name="visibility-heartbeat", daemon=True).start()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self._stopped.set()

    def before_process_message(self, broker: dramatiq.Broker, message: Any) -> None:
        sqs_message = getattr(message, "_sqs_message", None)
        if sqs_message is not None:
            with self._lock:
                self._in_flight[message.message_id] = sqs_message

    def after_process_message(
        self, broker: dramatiq.Broker, message: Any, *, result: Any = None, exception: Any = None
    ) -> None:
        with self._lock:
            self._in_flight.pop(message.message_id, None)

    after_skip_message = after_process_message

    def _beat(self) -> None:
        while not self._stopped.wait(self.interval_seconds):
            with self._lock:
                in_flight = list(self._in_flight.values())
            for sqs_message in in_flight:
                try:
                    sqs_message.change_visibility(VisibilityTimeout=self.visibility_timeout_seconds)
                except Exception:
                    logger.warning("visibility heartbeat failed", exc_info=True)
