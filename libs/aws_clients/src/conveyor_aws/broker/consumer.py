"""The consumer: each SQS message becomes a dramatiq message, or goes to the DLQ.

- the envelope becomes a dramatiq message for the actor named after its event
  type, with the retry history its message attributes carry;
- a body that is not a known envelope, or that no actor takes, goes to the DLQ
  at once, with its reason (if even that fails, it is left for SQS's redrive
  policy to move there);
- a message the delivery policy parked goes to the DLQ with its reason in the
  `conveyor_error` attribute;
- if a message's retry could not be sent (SQS unreachable), the original is
  not deleted: it comes back once its visibility lapses;
- a handled message is deleted in a batch of up to ten (conveyor_aws.broker.deletes),
  sent once ten wait, a quarter of a second after the first, and on close;
- while each worker thread has a message held for it (received, not yet handled), the
  consumer waits for the workers, and is woken the moment a handled message leaves
  room; it then receives enough to fill the prefetch again. A back-off that grew while
  the workers were busy left them idle for hundreds of milliseconds after they caught
  up (bench/pipeline.py);
- each pass that did not fail is recorded for the worker's health check
  (conveyor_aws.broker.liveness_recorder).
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

import dramatiq
from dramatiq.common import compute_backoff
from dramatiq_sqs.broker import SQSConsumer, _SQSMessage

from conveyor_aws import tracing
from conveyor_aws.broker.attributes import (
    FAILURE_OPTION,
    KEEP_OPTION,
    carried_trace,
    history_from_attributes,
    parked_attributes,
    trace_options,
)
from conveyor_aws.broker.deletes import BatchedDeletes
from conveyor_aws.broker.liveness_recorder import LivenessRecorder
from conveyor_aws.delivery import history_options
from conveyor_aws.metrics.messages import DLQ_SENDS, DlqReason
from conveyor_common.envelope import InvalidEnvelope, decode
from conveyor_common.log import get_logger

# If the DLQ cannot take an undecodable body, it becomes visible again this soon,
# so that SQS's redrive policy moves it there after its receives.
POISON_REDELIVERY_SECONDS = 2
# The longest one wait for room lasts: a handled message ends it sooner. Each pass
# records the consumer's liveness and lets dramatiq see a shutdown.
ROOM_WAIT_SECONDS = 1.0

logger = get_logger(__name__)


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
        service: str,
        event_types: frozenset[str],
        liveness: LivenessRecorder,
    ) -> None:
        super().__init__(
            queue,
            prefetch,
            timeout,
            dead_letter_queue=dead_letter_queue,
            visibility_timeout=visibility_timeout,
        )
        self.queue_name = queue_name
        self.service = service
        self.event_types = event_types
        self.liveness = liveness
        self.deletes = BatchedDeletes(queue, queue_name=queue_name)
        # dramatiq asks for twice its worker threads, before dramatiq-sqs caps the prefetch.
        self.threads = max(1, prefetch // 2)
        # Held messages are counted by the consumer thread and the worker threads.
        self._held = threading.Lock()
        self._room_made = threading.Event()

    def __next__(self) -> dramatiq.Message[Any] | None:
        room = 0
        if not self.messages:
            room = self._room()
            if room:
                self._receive(room)
            else:
                self._room_made.wait(ROOM_WAIT_SECONDS)
                self._room_made.clear()
        # Received, or waited for room: either way this pass worked. A receive that
        # raised never gets here, and dramatiq starts a new consumer.
        self.liveness.record()
        if self.messages:
            self.misses = 0
            ready: dramatiq.Message[Any] = self.messages.popleft()
            return ready
        if room:
            # The receive found nothing: back off rather than spin on an empty queue.
            self.misses, backoff_ms = compute_backoff(
                self.misses, max_backoff=self.wait_time_seconds * 1_000 or 1_000
            )
            time.sleep(backoff_ms / 1_000)
        return None

    def _room(self) -> int:
        """How many messages to receive: none while every thread has one held for it (or
        the prefetch is full), else enough to fill the prefetch."""
        # Below zero when a replaced consumer's messages are acked through this one.
        held, prefetch = max(int(self.message_refc), 0), int(self.prefetch)
        if held > self.threads or held >= prefetch:
            return 0
        # Within SQS's 10 a receive: dramatiq-sqs caps the prefetch there.
        return prefetch - held

    def _receive(self, count: int) -> None:
        # Each message's handling is its span (conveyor_aws.broker.tracing), in its trace.
        with tracing.untraced():
            received = self.queue.receive_messages(
                MaxNumberOfMessages=count,
                WaitTimeSeconds=self.wait_time_seconds,
                VisibilityTimeout=self.visibility_timeout,
                MessageAttributeNames=["All"],
                AttributeNames=["ApproximateReceiveCount"],
            )
        for sqs_message in received:
            message = self._to_dramatiq(sqs_message)
            if message is not None:
                self.messages.append(message)
                with self._held:
                    self.message_refc += 1

    def _release(self) -> None:
        """A held message was handled: wake the consumer if that left room to receive."""
        with self._held:
            self.message_refc -= 1
        if self._room():
            self._room_made.set()

    def _to_dramatiq(self, sqs_message: Any) -> _SQSMessage | None:
        try:
            envelope = decode(sqs_message.body)
            if envelope.event_type not in self.event_types:
                raise InvalidEnvelope(
                    f"no handler for event type {envelope.event_type!r}",
                    event_type=envelope.event_type,
                )
        except InvalidEnvelope as exc:
            self._park_undeliverable(sqs_message, f"undeliverable: {exc}", exc.event_type)
            return None
        attributes = sqs_message.message_attributes or {}
        history = history_from_attributes(attributes)
        message: dramatiq.Message[Any] = dramatiq.Message(
            queue_name=self.queue_name,
            actor_name=envelope.event_type,
            args=(sqs_message.body,),
            kwargs={},
            options=history_options(history) | trace_options(attributes),
            message_id=str(envelope.event_id),
            message_timestamp=int(envelope.occurred_at.timestamp() * 1_000),
        )
        return _SQSMessage(sqs_message, message)

    def _park_undeliverable(self, sqs_message: Any, reason: str, event_type: str | None) -> None:
        """Move a body no actor can take to the DLQ, with why; it would fail every time."""
        logger.error(
            "undeliverable message",
            queue=self.queue_name,
            sqs_message_id=sqs_message.message_id,
            receive_count=sqs_message.attributes.get("ApproximateReceiveCount"),
            reason=reason,
        )
        try:
            trace = tracing.context_of(sqs_message.message_attributes or {})
            self._send_to_dlq(sqs_message.body, event_type=event_type, reason=reason, trace=trace)
            DLQ_SENDS.labels(self.service, self.queue_name, DlqReason.UNDELIVERABLE).inc()
            sqs_message.delete()
        except Exception:
            # Not deleted: SQS's redrive policy moves it to the DLQ after its receives.
            logger.warning("could not park an undeliverable message", exc_info=True)
            with contextlib.suppress(Exception):
                sqs_message.change_visibility(VisibilityTimeout=POISON_REDELIVERY_SECONDS)

    def _send_to_dlq(
        self, body: str, *, event_type: str | None, reason: str, trace: dict[str, str]
    ) -> None:
        attributes = parked_attributes(event_type=event_type, reason=reason, trace=trace)
        self.dead_letter_queue.send_message(MessageBody=body, MessageAttributes=attributes)

    def ack(self, message: _SQSMessage) -> None:
        """Done, or retried as a new message: delete it, unless its retry could not be sent."""
        try:
            keep_seconds = message.options.get(KEEP_OPTION)
            if keep_seconds is None:
                self.deletes.mark(message._sqs_message)
                return
            # The retry is not on the queue: this copy must stay. Hide it for a while
            # (best effort: SQS is likely unreachable) rather than delete it.
            with contextlib.suppress(Exception):
                message._sqs_message.change_visibility(VisibilityTimeout=int(keep_seconds))
        finally:
            self._release()

    def close(self) -> None:
        """Delete what was handled, then put back what was received but never handed out."""
        self.deletes.close()
        super().close()

    def nack(self, message: _SQSMessage) -> None:
        """Parked by the delivery policy: move the envelope to the DLQ with the reason."""
        try:
            reason = str(message.options.get(FAILURE_OPTION) or "failed")
            self._send_to_dlq(
                message._sqs_message.body,
                event_type=message.actor_name,
                reason=reason,
                trace=carried_trace(message.options),
            )
            DLQ_SENDS.labels(self.service, self.queue_name, DlqReason.PARKED).inc()
            message._sqs_message.delete()
        finally:
            self._release()
