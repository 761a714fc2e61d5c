"""dramatiq on SQS, speaking plain JSON envelopes and set up so nothing is lost.

dramatiq-sqs expects base64-encoded dramatiq messages; Conveyor's queues hold
the raw SNS-delivered envelopes instead, so any SQS consumer can read them.
This module adapts the two:

- the consumer turns each envelope into a dramatiq message for the actor named
  after its event type;
- a body that is not a known envelope goes to the DLQ at once, with its reason
  (if even that fails, it is left for SQS's redrive policy to move there);
- a failure is classified (conveyor_aws.failures) and the delivery policy
  (conveyor_aws.delivery) retries or parks it: a retry re-sends the same
  envelope as a new message, delayed at most 900 s (SQS's ceiling), with its
  history in message attributes; a parked message goes to the DLQ with its
  reason in the `conveyor_error` attribute;
- if the retry cannot be sent (SQS unreachable), the original is not deleted:
  it comes back once its visibility lapses;
- a heartbeat keeps long-running messages invisible while they are worked on.
"""

from __future__ import annotations

import contextlib
import json
import signal
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import dramatiq
from dramatiq.common import compute_backoff
from dramatiq.middleware import Middleware, TimeLimit
from dramatiq_sqs.broker import MAX_DELAY_SECONDS, SQSBroker, SQSConsumer, _SQSMessage

from conveyor_aws import clients
from conveyor_aws.delivery import (
    DEFAULT_POLICY,
    MAX_REASON_LENGTH,
    History,
    Postpone,
    RetryPolicy,
    decide,
    history_from_options,
    history_options,
    postponed_delay_ms,
)
from conveyor_aws.publisher import EVENT_TYPE_ATTRIBUTE
from conveyor_common.envelope import InvalidEnvelope, decode, peek_event_type
from conveyor_common.log import get_logger

# If the DLQ cannot take an undecodable body, it becomes visible again this soon,
# so that SQS's redrive policy moves it there after its receives.
POISON_REDELIVERY_SECONDS = 2
DEFAULT_TIME_LIMIT_MS = 30 * 60 * 1_000
RETRIES_ATTRIBUTE = "conveyor_retries"
FIRST_FAILURE_ATTRIBUTE = "conveyor_first_failure_ms"
UNEXPECTED_ATTRIBUTE = "conveyor_unexpected_failures"
ERROR_ATTRIBUTE = "conveyor_error"
# Message option holding the latest failure, for the DLQ's reason attribute.
FAILURE_OPTION = "conveyor_failure"
# Message option set when a retry could not be sent: the original must stay on the queue.
KEEP_OPTION = "conveyor_keep_seconds"
MAX_ERROR_LENGTH = MAX_REASON_LENGTH
# Sends of a retry before giving up on it (each also retried by botocore).
ENQUEUE_ATTEMPTS = 3
ENQUEUE_RETRY_SECONDS = 1.0
# SQS's ceiling for a message's visibility timeout.
MAX_VISIBILITY_SECONDS = 12 * 3600

logger = get_logger(__name__)


class MissingQueue(RuntimeError):
    """The queue or its DLQ is not there: resources come from bootstrap or Terraform."""


class EnvelopeBroker(SQSBroker):  # type: ignore[misc]
    def __init__(
        self,
        *,
        visibility_timeout_seconds: int,
        retry_policy: RetryPolicy = DEFAULT_POLICY,
        time_limit_ms: int = DEFAULT_TIME_LIMIT_MS,
    ) -> None:
        heartbeat = VisibilityHeartbeat(visibility_timeout_seconds=visibility_timeout_seconds)
        super().__init__(
            middleware=[
                TimeLimit(time_limit=time_limit_ms),
                DeliveryPolicy(retry_policy),
                heartbeat,
            ],
            dead_letter=True,
            visibility_timeout=visibility_timeout_seconds,
            # dramatiq-sqs builds its own boto3 resource: give it the process's timeouts.
            config=clients.config("sqs"),
        )

    @property
    def consumer_class(self) -> type[EnvelopeConsumer]:
        return EnvelopeConsumer

    def consume(
        self, queue_name: str, prefetch: int = 1, timeout: int = 20_000
    ) -> EnvelopeConsumer:
        self._ensure_queue(queue_name)
        event_types = frozenset(
            name for name, actor in self.actors.items() if actor.queue_name == queue_name
        )
        return EnvelopeConsumer(
            self.queues[queue_name],
            prefetch,
            timeout,
            dead_letter_queue=self.dead_letter_queues[queue_name],
            visibility_timeout=self.visibility_timeout,
            queue_name=queue_name,
            event_types=event_types,
        )

    def _ensure_queue(self, queue_name: str) -> None:
        """Use the existing queue and the DLQ its redrive policy names; never create."""
        if queue_name not in self.queue_names:
            raise dramatiq.QueueNotFound(queue_name)  # type: ignore[no-untyped-call]
        if queue_name in self.queues:
            return
        try:
            queue = self.sqs.get_queue_by_name(QueueName=queue_name)
        except self.sqs.meta.client.exceptions.QueueDoesNotExist:
            raise MissingQueue(f"SQS queue {queue_name!r} does not exist") from None
        redrive = json.loads(queue.attributes.get("RedrivePolicy") or "null")
        if not redrive:
            raise MissingQueue(f"SQS queue {queue_name!r} has no redrive policy to a DLQ")
        dlq_name = redrive["deadLetterTargetArn"].rsplit(":", 1)[-1]
        self.dead_letter_queues[queue_name] = self.sqs.get_queue_by_name(QueueName=dlq_name)
        self.queues[queue_name] = queue

    def enqueue(
        self, message: dramatiq.Message[Any], *, delay: int | None = None
    ) -> dramatiq.Message[Any]:
        """Send the envelope (args[0]) itself, with its retry history; used by retries."""
        self._ensure_queue(message.queue_name)
        self.emit_before("enqueue", message, delay)
        history = history_from_options(message.options)
        attributes: dict[str, Any] = {
            EVENT_TYPE_ATTRIBUTE: {"DataType": "String", "StringValue": message.actor_name},
            RETRIES_ATTRIBUTE: {"DataType": "Number", "StringValue": str(history.retries)},
            UNEXPECTED_ATTRIBUTE: {
                "DataType": "Number",
                "StringValue": str(history.unexpected_failures),
            },
        }
        if history.first_failure_ms is not None:
            attributes[FIRST_FAILURE_ATTRIBUTE] = {
                "DataType": "Number",
                "StringValue": str(history.first_failure_ms),
            }
        self.queues[message.queue_name].send_message(
            MessageBody=message.args[0],
            DelaySeconds=min((delay or 0) // 1_000, MAX_DELAY_SECONDS),
            MessageAttributes=attributes,
        )
        self.emit_after("enqueue", message, delay)
        return message


class EnvelopeConsumer(SQSConsumer):  # type: ignore[misc]
    def __init__(
        self,
        queue: Any,
        prefetch: int,
        timeout: int,
        *,
        dead_letter_queue: Any,
        visibility_timeout: int | None,
        queue_name: str,
        event_types: frozenset[str],
    ) -> None:
        super().__init__(
            queue,
            prefetch,
            timeout,
            dead_letter_queue=dead_letter_queue,
            visibility_timeout=visibility_timeout,
        )
        self.queue_name = queue_name
        self.event_types = event_types

    def __next__(self) -> dramatiq.Message[Any] | None:
        if not self.messages and self.message_refc < self.prefetch:
            received = self.queue.receive_messages(
                MaxNumberOfMessages=self.prefetch,
                WaitTimeSeconds=self.wait_time_seconds,
                VisibilityTimeout=self.visibility_timeout,
                MessageAttributeNames=["All"],
                AttributeNames=["ApproximateReceiveCount"],
            )
            for sqs_message in received:
                message = self._to_dramatiq(sqs_message)
                if message is not None:
                    self.messages.append(message)
                    self.message_refc += 1
        if self.messages:
            self.misses = 0
            ready: dramatiq.Message[Any] = self.messages.popleft()
            return ready
        # Nothing ready: back off rather than spin while all slots are busy.
        self.misses, backoff_ms = compute_backoff(
            self.misses, max_backoff=self.wait_time_seconds * 1_000 or 1_000
        )
        time.sleep(backoff_ms / 1_000)
        return None

    def _to_dramatiq(self, sqs_message: Any) -> _SQSMessage | None:
        try:
            envelope = decode(sqs_message.body)
            if envelope.event_type not in self.event_types:
                raise InvalidEnvelope(f"no handler for event type {envelope.event_type!r}")
        except InvalidEnvelope as exc:
            self._park_undeliverable(sqs_message, f"undeliverable: {exc}")
            return None
        attributes = sqs_message.message_attributes or {}

        def number(name: str) -> int | None:
            value = attributes.get(name, {}).get("StringValue")
            return int(value) if value is not None else None

        history = History(
            retries=number(RETRIES_ATTRIBUTE) or 0,
            first_failure_ms=number(FIRST_FAILURE_ATTRIBUTE),
            unexpected_failures=number(UNEXPECTED_ATTRIBUTE) or 0,
        )
        message: dramatiq.Message[Any] = dramatiq.Message(
            queue_name=self.queue_name,
            actor_name=envelope.event_type,
            args=(sqs_message.body,),
            kwargs={},
            options=history_options(history),
            message_id=str(envelope.event_id),
            message_timestamp=int(envelope.occurred_at.timestamp() * 1_000),
        )
        return _SQSMessage(sqs_message, message)

    def _park_undeliverable(self, sqs_message: Any, reason: str) -> None:
        """Move a body no actor can take to the DLQ, with why; it would fail every time."""
        logger.error(
            "undeliverable message",
            queue=self.queue_name,
            sqs_message_id=sqs_message.message_id,
            receive_count=sqs_message.attributes.get("ApproximateReceiveCount"),
            reason=reason,
        )
        try:
            event_type = peek_event_type(sqs_message.body)
        except InvalidEnvelope:
            event_type = None
        try:
            self._send_to_dlq(sqs_message.body, event_type=event_type, reason=reason)
            sqs_message.delete()
        except Exception:
            # Not deleted: SQS's redrive policy moves it to the DLQ after its receives.
            logger.warning("could not park an undeliverable message", exc_info=True)
            with contextlib.suppress(Exception):
                sqs_message.change_visibility(VisibilityTimeout=POISON_REDELIVERY_SECONDS)

    def _send_to_dlq(self, body: str, *, event_type: str | None, reason: str) -> None:
        attributes: dict[str, Any] = {
            ERROR_ATTRIBUTE: {"DataType": "String", "StringValue": reason[:MAX_ERROR_LENGTH]},
        }
        if event_type:
            attributes[EVENT_TYPE_ATTRIBUTE] = {"DataType": "String", "StringValue": event_type}
        self.dead_letter_queue.send_message(MessageBody=body, MessageAttributes=attributes)

    def ack(self, message: _SQSMessage) -> None:
        """Done, or retried as a new message: delete it, unless its retry could not be sent."""
        try:
            keep_seconds = message.options.get(KEEP_OPTION)
            if keep_seconds is None:
                message._sqs_message.delete()
                return
            # The retry is not on the queue: this copy must stay. Hide it for a while
            # (best effort: SQS is likely unreachable) rather than delete it.
            with contextlib.suppress(Exception):
                message._sqs_message.change_visibility(VisibilityTimeout=int(keep_seconds))
        finally:
            self.message_refc -= 1

    def nack(self, message: _SQSMessage) -> None:
        """Parked by the delivery policy: move the envelope to the DLQ with the reason."""
        try:
            reason = str(message.options.get(FAILURE_OPTION) or "failed")
            self._send_to_dlq(
                message._sqs_message.body, event_type=message.actor_name, reason=reason
            )
            message._sqs_message.delete()
        finally:
            self.message_refc -= 1


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


def run_worker(broker: EnvelopeBroker, *, threads: int, queues: Iterable[str]) -> None:
    """Consume until SIGTERM or SIGINT, then finish in-flight messages and exit."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    worker = dramatiq.Worker(broker, queues=set(queues), worker_threads=threads)
    worker.start()
    logger.info("worker started", threads=threads)
    stop.wait()
    logger.info("stopping: finishing in-flight messages")
    worker.stop()
    logger.info("worker stopped")
