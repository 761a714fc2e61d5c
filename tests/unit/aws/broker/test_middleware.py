"""The delivery policy middleware, as the consumer then acks or parks each failed delivery."""

from __future__ import annotations

from typing import Any

import psycopg
from tests.unit.aws.broker.fakes import EVENT_TYPE, FakeQueue, a_consumer, a_delivery

from conveyor_aws.broker.attributes import ERROR_ATTRIBUTE, KEEP_OPTION
from conveyor_aws.broker.consumer import EnvelopeConsumer
from conveyor_aws.broker.middleware import DeliveryPolicy
from conveyor_aws.delivery import History, Postpone, history_from_options
from conveyor_common.envelope import InvalidEnvelope

NOW = 1_750_000_000.0


class FakeBroker:
    """What DeliveryPolicy uses of the broker: enqueue, which may fail."""

    visibility_timeout = 300

    def __init__(self, *, failures: int = 0) -> None:
        self.enqueued: list[tuple[dict[str, Any], int | None]] = []
        self.failures = failures

    def enqueue(self, message: Any, *, delay: int | None = None) -> Any:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("SQS unreachable")
        self.enqueued.append((dict(message.options), delay))
        return message


def fail(
    policy: DeliveryPolicy, broker: FakeBroker, consumer: EnvelopeConsumer, error: Exception
) -> Any:
    """One failed delivery: the middleware decides, then the worker acks or nacks."""
    message, sqs_message = a_delivery()
    consumer.message_refc = 1
    policy.after_process_message(broker, message, exception=error)  # type: ignore[arg-type]
    if message.failed:
        consumer.nack(message)
    else:
        consumer.ack(message)
    # Its delete leaves in the consumer's next batch.
    consumer.deletes.flush()
    assert consumer.message_refc == 0
    return message, sqs_message


def a_policy() -> DeliveryPolicy:
    return DeliveryPolicy(clock=lambda: NOW, sleep=lambda _: None)


def test_a_transient_failure_is_retried_as_a_new_message_and_the_original_deleted() -> None:
    # given a delivery failing because PostgreSQL is down
    broker, dlq = FakeBroker(), FakeQueue()

    # when the policy handles the failure
    _, original = fail(a_policy(), broker, a_consumer(dlq), psycopg.OperationalError("down"))

    # then a retry carrying the first failure time was sent and the original deleted
    [(options, delay)] = broker.enqueued
    assert history_from_options(options) == History(1, int(NOW * 1_000), 0)
    assert delay is not None
    assert 750 <= delay <= 1_000
    assert original.deleted
    assert dlq.sent == []


def test_a_permanent_failure_is_parked_with_its_reason_without_retrying() -> None:
    broker, dlq = FakeBroker(), FakeQueue()

    _, original = fail(a_policy(), broker, a_consumer(dlq), InvalidEnvelope("bad payload"))

    assert broker.enqueued == []
    [parked] = dlq.sent
    assert parked["MessageBody"] == original.body
    attributes = parked["MessageAttributes"]
    assert attributes[ERROR_ATTRIBUTE]["StringValue"] == "permanent: InvalidEnvelope: bad payload"
    assert attributes["event_type"]["StringValue"] == EVENT_TYPE
    assert original.deleted


def test_a_postponed_delivery_comes_back_later_unchanged_and_is_no_failure() -> None:
    # given a handler that finds its work held by another worker for 600 s
    broker, dlq = FakeBroker(), FakeQueue()

    # when the policy handles its Postpone
    message, original = fail(
        a_policy(), broker, a_consumer(dlq), Postpone("held", delay_seconds=600)
    )

    # then the same message is sent again with that delay and no failure in its history
    [(options, delay)] = broker.enqueued
    assert delay == 600_000
    assert history_from_options(options) == History()
    assert not message.failed
    assert original.deleted
    assert dlq.sent == []


def test_a_postponement_beyond_what_sqs_can_delay_is_capped() -> None:
    broker, dlq = FakeBroker(), FakeQueue()

    fail(a_policy(), broker, a_consumer(dlq), Postpone("held", delay_seconds=3_600))

    [(_, delay)] = broker.enqueued
    assert delay == 900_000


def test_an_unsent_postponement_keeps_the_original_hidden_for_the_delay() -> None:
    broker, dlq = FakeBroker(failures=99), FakeQueue()

    message, original = fail(
        a_policy(), broker, a_consumer(dlq), Postpone("held", delay_seconds=42)
    )

    assert not original.deleted
    assert message.options[KEEP_OPTION] == 42
    assert dlq.sent == []


def test_an_unsent_retry_leaves_the_original_on_the_queue() -> None:
    # given SQS refusing every send
    broker, dlq = FakeBroker(failures=99), FakeQueue()

    # when a delivery fails transiently
    message, original = fail(a_policy(), broker, a_consumer(dlq), TimeoutError("db"))

    # then the original is kept, hidden for at least the visibility timeout, not parked
    assert not original.deleted
    assert message.options[KEEP_OPTION] == 300
    assert original.visibility == [300]
    assert dlq.sent == []


def test_a_retry_that_fails_to_send_once_is_sent_again() -> None:
    broker = FakeBroker(failures=1)

    _, original = fail(a_policy(), broker, a_consumer(FakeQueue()), TimeoutError("db"))

    assert len(broker.enqueued) == 1
    assert original.deleted
