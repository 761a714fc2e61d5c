"""dramatiq on SQS, speaking plain JSON envelopes and set up so nothing is lost.

dramatiq-sqs expects base64-encoded dramatiq messages; Conveyor's queues hold
the raw SNS-delivered envelopes instead, so any SQS consumer can read them.
This module adapts the two:

- the consumer turns each envelope into a dramatiq message for the actor named
  after its event type;
- a body that is not a known envelope is left on the queue, visible again
  shortly, so SQS's redrive policy moves it to the DLQ after a few receives;
- retries re-send the same envelope with the attempt count as a message
  attribute, delayed at most 900 s (SQS's ceiling; dramatiq-sqs drops longer);
- a message whose retries are exhausted goes to the DLQ with its reason;
- a heartbeat keeps long-running messages invisible while they are worked on.
"""

from __future__ import annotations

import json
import signal
import threading
import time
import traceback
from collections.abc import Iterable
from typing import Any

import dramatiq
from dramatiq.common import compute_backoff
from dramatiq.middleware import Middleware, Retries, TimeLimit
from dramatiq_sqs.broker import MAX_DELAY_SECONDS, SQSBroker, SQSConsumer, _SQSMessage

from conveyor_aws import clients
from conveyor_aws.publisher import EVENT_TYPE_ATTRIBUTE
from conveyor_common.envelope import InvalidEnvelope, decode
from conveyor_common.log import get_logger

# Retry delays double from MIN to MAX; SQS cannot delay a message longer than 900 s.
MIN_RETRY_BACKOFF_MS = 1_000
MAX_RETRY_BACKOFF_MS = MAX_DELAY_SECONDS * 1_000
# Attempts after the first before a failing message goes to the DLQ.
MAX_RETRIES = 2
# An undecodable body becomes visible again this soon, to reach the DLQ quickly.
POISON_REDELIVERY_SECONDS = 2
DEFAULT_TIME_LIMIT_MS = 30 * 60 * 1_000
RETRIES_ATTRIBUTE = "conveyor_retries"
ERROR_ATTRIBUTE = "conveyor_error"
# Message option holding the latest failure, for the DLQ's reason attribute.
FAILURE_OPTION = "conveyor_failure"
# SQS message attributes hold at most 256 KiB in all; a reason needs far less.
MAX_ERROR_LENGTH = 1_000

logger = get_logger(__name__)


class MissingQueue(RuntimeError):
    """The queue or its DLQ is not there: resources come from bootstrap or Terraform."""


class EnvelopeBroker(SQSBroker):  # type: ignore[misc]
    def __init__(
        self,
        *,
        visibility_timeout_seconds: int,
        max_retries: int = MAX_RETRIES,
        min_backoff_ms: int = MIN_RETRY_BACKOFF_MS,
        time_limit_ms: int = DEFAULT_TIME_LIMIT_MS,
    ) -> None:
        heartbeat = VisibilityHeartbeat(visibility_timeout_seconds=visibility_timeout_seconds)
        super().__init__(
            middleware=[
                TimeLimit(time_limit=time_limit_ms),
                Retries(
                    max_retries=max_retries,
                    min_backoff=min_backoff_ms,
                    max_backoff=MAX_RETRY_BACKOFF_MS,
                ),
                heartbeat,
                FailureReason(),
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
        """Send the envelope (args[0]) itself; used by retries and by tests."""
        self._ensure_queue(message.queue_name)
        self.emit_before("enqueue", message, delay)
        self.queues[message.queue_name].send_message(
            MessageBody=message.args[0],
            DelaySeconds=min((delay or 0) // 1_000, MAX_DELAY_SECONDS),
            MessageAttributes={
                EVENT_TYPE_ATTRIBUTE: {"DataType": "String", "StringValue": message.actor_name},
                RETRIES_ATTRIBUTE: {
                    "DataType": "Number",
                    "StringValue": str(message.options.get("retries", 0)),
                },
            },
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
            # Not acked: SQS redrive moves it to the DLQ after MAX_RECEIVE_COUNT receives.
            logger.error(
                "undeliverable message",
                queue=self.queue_name,
                sqs_message_id=sqs_message.message_id,
                receive_count=sqs_message.attributes.get("ApproximateReceiveCount"),
                reason=str(exc),
            )
            sqs_message.change_visibility(VisibilityTimeout=POISON_REDELIVERY_SECONDS)
            return None
        attributes = sqs_message.message_attributes or {}
        retries = int(attributes.get(RETRIES_ATTRIBUTE, {}).get("StringValue", "0"))
        message: dramatiq.Message[Any] = dramatiq.Message(
            queue_name=self.queue_name,
            actor_name=envelope.event_type,
            args=(sqs_message.body,),
            kwargs={},
            options={"retries": retries},
            message_id=str(envelope.event_id),
            message_timestamp=int(envelope.occurred_at.timestamp() * 1_000),
        )
        return _SQSMessage(sqs_message, message)

    def nack(self, message: _SQSMessage) -> None:
        """Retries are exhausted: park the envelope in the DLQ with the reason."""
        reason = str(message.options.get(FAILURE_OPTION) or "failed")
        self.dead_letter_queue.send_message(
            MessageBody=message._sqs_message.body,
            MessageAttributes={
                EVENT_TYPE_ATTRIBUTE: {"DataType": "String", "StringValue": message.actor_name},
                ERROR_ATTRIBUTE: {"DataType": "String", "StringValue": reason[:MAX_ERROR_LENGTH]},
            },
        )
        message._sqs_message.delete()
        self.message_refc -= 1


class FailureReason(Middleware):
    """Remembers the exception line of a failure.

    The traceback's last line is not it when the message spans lines, as
    SQLAlchemy's do ("(Background on this error at: ...)").
    """

    def after_process_message(
        self, broker: dramatiq.Broker, message: Any, *, result: Any = None, exception: Any = None
    ) -> None:
        if exception is not None:
            summary = traceback.format_exception_only(exception)[0].strip()
            message.options[FAILURE_OPTION] = summary


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
