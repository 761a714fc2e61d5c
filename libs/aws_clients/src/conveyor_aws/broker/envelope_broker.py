"""The broker: dramatiq-sqs's, on queues that bootstrap or Terraform made.

It never creates a queue: it uses the existing one and the DLQ its redrive
policy names. A retry it sends is the same envelope as a new message, delayed
at most 900 s (SQS's ceiling), with its history in message attributes.
"""

from __future__ import annotations

import json
from typing import Any

import dramatiq
from dramatiq.middleware import TimeLimit
from dramatiq_sqs.broker import MAX_DELAY_SECONDS, SQSBroker
from opentelemetry.trace import TracerProvider

from conveyor_aws import clients, tracing
from conveyor_aws.broker.attributes import carried_trace, retry_attributes
from conveyor_aws.broker.consumer import EnvelopeConsumer
from conveyor_aws.broker.liveness_recorder import LivenessRecorder
from conveyor_aws.broker.middleware import DeliveryPolicy, VisibilityHeartbeat
from conveyor_aws.broker.tracing import ProcessSpans
from conveyor_aws.delivery import DEFAULT_POLICY, RetryPolicy, history_from_options
from conveyor_aws.metrics.messages import MessageMetrics

DEFAULT_TIME_LIMIT_MS = 30 * 60 * 1_000


class MissingQueue(RuntimeError):
    """The queue or its DLQ is not there: resources come from bootstrap or Terraform."""


class EnvelopeBroker(SQSBroker):  # type: ignore[misc]
    def __init__(
        self,
        *,
        service: str,
        visibility_timeout_seconds: int,
        retry_policy: RetryPolicy = DEFAULT_POLICY,
        time_limit_ms: int = DEFAULT_TIME_LIMIT_MS,
        liveness: LivenessRecorder | None = None,
        tracer_provider: TracerProvider | None = None,
    ) -> None:
        # Every consumer of this broker records its passes here, for the health check.
        self.liveness = liveness or LivenessRecorder()
        # The worker's name, which labels its metrics.
        self.service = service
        heartbeat = VisibilityHeartbeat(visibility_timeout_seconds=visibility_timeout_seconds)
        # Spans only while tracing is on: off, a message costs no tracing call at all.
        tracer_provider = tracer_provider or tracing.provider()
        spans = [ProcessSpans(tracer_provider)] if tracer_provider is not None else []
        super().__init__(
            # The spans and the metrics first, so that their after-hooks run last (dramatiq
            # runs them in reverse), once the delivery policy has decided the outcome.
            middleware=[
                *spans,
                MessageMetrics(service=service),
                TimeLimit(time_limit=time_limit_ms),
                DeliveryPolicy(retry_policy),
                heartbeat,
            ],
            dead_letter=True,
            visibility_timeout=visibility_timeout_seconds,
            # dramatiq-sqs builds its own boto3 resource: give it the process's timeouts.
            config=clients.config("sqs"),
        )

    def consume(
        self, queue_name: str, prefetch: int = 1, timeout: int = 20_000
    ) -> EnvelopeConsumer:
        self._ensure_queue(queue_name)
        event_types = frozenset(
            name for name, actor in self.actors.items() if actor.queue_name == queue_name
        )
        return EnvelopeConsumer(
            self.queues[queue_name],
            # dramatiq's own: twice its worker threads (8 for the default 4), which
            # dramatiq-sqs caps at SQS's 10 a receive. No more: a received message waits
            # unrenewed until a thread takes it (the heartbeat starts with its handling),
            # so more than the threads can start soon would outlive its visibility behind
            # long jobs.
            prefetch,
            timeout,
            dead_letter_queue=self.dead_letter_queues[queue_name],
            visibility_timeout=self.visibility_timeout,
            queue_name=queue_name,
            service=self.service,
            event_types=event_types,
            liveness=self.liveness,
        )

    def _ensure_queue(self, queue_name: str) -> None:
        """Use the existing queue and the DLQ its redrive policy names; never create."""
        if queue_name not in self.queue_names:
            raise dramatiq.QueueNotFound(queue_name)  # type: ignore[no-untyped-call]
        if queue_name in self.queues:
            return
        queue = self._existing_queue(queue_name)
        redrive = json.loads(queue.attributes.get("RedrivePolicy") or "null")
        if not redrive:
            raise MissingQueue(f"SQS queue {queue_name!r} has no redrive policy to a DLQ")
        dlq_name = redrive["deadLetterTargetArn"].rsplit(":", 1)[-1]
        self.dead_letter_queues[queue_name] = self._existing_queue(dlq_name)
        self.queues[queue_name] = queue

    def _existing_queue(self, name: str) -> Any:
        try:
            return self.sqs.get_queue_by_name(QueueName=name)
        except self.sqs.meta.client.exceptions.QueueDoesNotExist:
            raise MissingQueue(f"SQS queue {name!r} does not exist") from None

    def enqueue(
        self, message: dramatiq.Message[Any], *, delay: int | None = None
    ) -> dramatiq.Message[Any]:
        """Send the envelope (args[0]) itself, with its retry history; used by retries."""
        self._ensure_queue(message.queue_name)
        self.emit_before("enqueue", message, delay)
        self.queues[message.queue_name].send_message(
            MessageBody=message.args[0],
            DelaySeconds=min((delay or 0) // 1_000, MAX_DELAY_SECONDS),
            MessageAttributes=retry_attributes(
                message.actor_name,
                history_from_options(message.options),
                carried_trace(message.options),
            ),
        )
        self.emit_after("enqueue", message, delay)
        return message
