"""Each handled message counted by the outcome the delivery policy gave it, and timed."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import psycopg
import pytest
from prometheus_client import REGISTRY
from tests.unit.aws.broker.fakes import (
    EVENT_TYPE,
    FakeQueue,
    FakeSqsMessage,
    a_consumer,
    a_delivery,
    an_unknown_envelope_body,
)

from conveyor_aws.broker.envelope_broker import EnvelopeBroker
from conveyor_aws.broker.middleware import DeliveryPolicy
from conveyor_aws.delivery import Postpone
from conveyor_aws.metrics.messages import MessageMetrics, Outcome, outcome_of
from conveyor_common.envelope import InvalidEnvelope

NOW = 1_750_000_000.0


class FakeBroker:
    visibility_timeout = 300

    def enqueue(self, message: Any, *, delay: int | None = None) -> Any:
        return message


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def handle(service: str, error: Exception | None, *, clock: Any = None) -> None:
    """One delivery through both middlewares, in the order the broker runs their hooks,
    then acked or parked by the consumer as the worker would."""
    metrics = MessageMetrics(service=service, clock=clock or itertools.count().__next__)
    policy = DeliveryPolicy(clock=lambda: NOW, sleep=lambda _: None)
    consumer = a_consumer(FakeQueue())
    consumer.service = service
    message, _ = a_delivery()
    broker: Any = FakeBroker()
    consumer.message_refc = 1
    metrics.before_process_message(broker, message)
    policy.after_process_message(broker, message, exception=error)
    metrics.after_process_message(broker, message, exception=error)
    if message.failed:
        consumer.nack(message)
    else:
        consumer.ack(message)


@pytest.mark.parametrize(
    ("error", "outcome", "retries", "dlq_sends"),
    [
        (None, Outcome.OK, 0, 0),
        (psycopg.OperationalError("down"), Outcome.RETRIED, 1, 0),
        (InvalidEnvelope("bad payload"), Outcome.PARKED, 0, 1),
        (Postpone("busy", delay_seconds=5), Outcome.POSTPONED, 0, 0),
    ],
)
def test_a_message_is_counted_by_the_outcome_the_policy_decided(
    error: Exception | None, outcome: Outcome, retries: int, dlq_sends: int
) -> None:
    service = f"test-{uuid.uuid4().hex[:8]}"

    handle(service, error)

    handled = {
        each: sample(
            "conveyor_messages_handled_total",
            service=service,
            event_type=EVENT_TYPE,
            outcome=each.value,
        )
        for each in Outcome
    }
    assert handled == {each: (1.0 if each is outcome else 0.0) for each in Outcome}
    retried = sample("conveyor_message_retries_total", service=service, event_type=EVENT_TYPE)
    assert retried == retries
    parked = sample("conveyor_dlq_sends_total", service=service, queue="q", reason="parked")
    assert parked == dlq_sends


def test_the_handling_time_is_observed_whatever_the_outcome() -> None:
    service = f"test-{uuid.uuid4().hex[:8]}"
    times = iter([10.0, 12.5])

    handle(service, psycopg.OperationalError("down"), clock=times.__next__)

    labels = {"service": service, "event_type": EVENT_TYPE}
    assert sample("conveyor_message_handling_seconds_count", **labels) == 1
    assert sample("conveyor_message_handling_seconds_sum", **labels) == 2.5


def test_an_undeliverable_body_counts_as_a_dlq_send() -> None:
    service = f"test-{uuid.uuid4().hex[:8]}"
    queue = FakeQueue()
    queue.to_receive = [FakeSqsMessage(an_unknown_envelope_body("Nobody"))]
    consumer = a_consumer(FakeQueue(), queue)
    consumer.service = service

    assert next(consumer) is None

    labels = {"service": service, "queue": "q"}
    assert sample("conveyor_dlq_sends_total", **labels, reason="undeliverable") == 1
    assert sample("conveyor_dlq_sends_total", **labels, reason="parked") == 0


def test_the_outcome_rule() -> None:
    assert outcome_of(None, failed=False) is Outcome.OK
    assert outcome_of(ValueError("x"), failed=False) is Outcome.RETRIED
    assert outcome_of(ValueError("x"), failed=True) is Outcome.PARKED
    assert outcome_of(Postpone("later", delay_seconds=1), failed=False) is Outcome.POSTPONED


def test_the_broker_counts_after_the_policy_has_decided(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    # dramatiq runs after-hooks last to first: the metrics must be listed before the policy.
    broker = EnvelopeBroker(service="test", visibility_timeout_seconds=30)

    kinds = [type(middleware) for middleware in broker.middleware]

    assert kinds.index(MessageMetrics) < kinds.index(DeliveryPolicy)
