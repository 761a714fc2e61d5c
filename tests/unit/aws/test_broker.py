"""The broker applying the delivery policy, against fake SQS queues and messages."""

from __future__ import annotations

import contextlib
import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import dramatiq
import psycopg

from conveyor_aws.broker import (
    ERROR_ATTRIBUTE,
    FIRST_FAILURE_ATTRIBUTE,
    KEEP_OPTION,
    RETRIES_ATTRIBUTE,
    DeliveryPolicy,
    EnvelopeConsumer,
)
from conveyor_aws.delivery import History, Postpone, history_from_options
from conveyor_common.envelope import InvalidEnvelope, encode, wrap
from conveyor_common.events import OrderSubmitted
from conveyor_common.orders import OrderItemRequest, OrderRequest, normalise_order

NOW = 1_750_000_000.0
EVENT_TYPE = "OrderSubmitted"


class FakeSqsMessage:
    def __init__(self, body: str, attributes: dict[str, Any] | None = None) -> None:
        self.body = body
        self.message_id = str(uuid.uuid4())
        self.attributes = {"ApproximateReceiveCount": "1"}
        self.message_attributes = attributes or {}
        self.deleted = False
        self.visibility: list[int] = []

    def delete(self) -> None:
        self.deleted = True

    def change_visibility(self, *, VisibilityTimeout: int) -> None:  # noqa: N803 - boto3's name
        self.visibility.append(VisibilityTimeout)


class FakeQueue:
    def __init__(self, *, failures: int = 0) -> None:
        self.sent: list[dict[str, Any]] = []
        self.failures = failures
        self.to_receive: list[FakeSqsMessage] = []

    def send_message(self, **kwargs: Any) -> dict[str, str]:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("SQS unreachable")
        self.sent.append(kwargs)
        return {"MessageId": str(uuid.uuid4())}

    def receive_messages(self, **_: Any) -> list[FakeSqsMessage]:
        received, self.to_receive = self.to_receive, []
        return received


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


def an_envelope_body() -> str:
    """A real OrderSubmitted envelope, as SNS delivers it."""
    request = OrderRequest(
        customer_id="c",
        customer_email="a@example.com",
        currency="EUR",
        items=[OrderItemRequest(sku="A", quantity=1, unit_price=Decimal("1"))],
    )
    order = normalise_order(
        request, order_id=uuid.uuid4(), tenant_id="t", submitted_at=datetime.now(UTC)
    )
    return encode(wrap(OrderSubmitted(order=order), tenant_id="t", correlation_id="c")).decode()


def an_unknown_envelope_body(event_type: str) -> str:
    return json.dumps(
        {
            "event_id": str(uuid.uuid4()),
            "event_type": event_type,
            "schema_version": 1,
            "occurred_at": datetime.now(UTC).isoformat(),
            "correlation_id": "corr",
            "tenant_id": "t",
            "payload": {},
        }
    )


def a_consumer(dlq: FakeQueue, queue: FakeQueue | None = None) -> EnvelopeConsumer:
    return EnvelopeConsumer(
        queue or FakeQueue(),
        1,
        1_000,
        dead_letter_queue=dlq,
        visibility_timeout=300,
        queue_name="q",
        event_types=frozenset({EVENT_TYPE}),
    )


def a_delivery(options: dict[str, Any] | None = None) -> tuple[Any, FakeSqsMessage]:
    """A received message as the worker holds it: dramatiq's proxy around the SQS message."""
    from dramatiq_sqs.broker import _SQSMessage

    sqs_message = FakeSqsMessage(an_envelope_body())
    message: dramatiq.Message[Any] = dramatiq.Message(
        queue_name="q",
        actor_name=EVENT_TYPE,
        args=(sqs_message.body,),
        kwargs={},
        options=options or {},
    )
    return _SQSMessage(sqs_message, message), sqs_message


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


def test_a_failed_dlq_send_keeps_the_message_and_frees_its_slot() -> None:
    consumer = a_consumer(FakeQueue(failures=1))
    message, original = a_delivery()
    message.fail()
    consumer.message_refc = 1

    with contextlib.suppress(ConnectionError):
        consumer.nack(message)

    assert not original.deleted
    assert consumer.message_refc == 0


def test_an_undecodable_body_goes_to_the_dlq_at_once_with_its_reason() -> None:
    # given a queue holding garbage and an event type no actor takes
    dlq, queue = FakeQueue(), FakeQueue()
    garbage, unknown = FakeSqsMessage("garbage"), FakeSqsMessage(an_unknown_envelope_body("Nobody"))
    queue.to_receive = [garbage, unknown]

    # when the consumer receives them
    assert next(a_consumer(dlq, queue)) is None

    # then both are in the DLQ with why, and gone from the queue
    reasons = [sent["MessageAttributes"][ERROR_ATTRIBUTE]["StringValue"] for sent in dlq.sent]
    assert reasons[0].startswith("undeliverable: not an event envelope")
    assert reasons[1] == "undeliverable: unknown event type 'Nobody'"
    assert dlq.sent[1]["MessageAttributes"]["event_type"]["StringValue"] == "Nobody"
    assert garbage.deleted
    assert unknown.deleted


def test_an_undecodable_body_is_left_for_sqs_redrive_if_the_dlq_is_unreachable() -> None:
    queue = FakeQueue()
    garbage = FakeSqsMessage("garbage")
    queue.to_receive = [garbage]

    next(a_consumer(FakeQueue(failures=1), queue))

    assert not garbage.deleted
    assert garbage.visibility == [2]


def test_a_received_retry_carries_its_history() -> None:
    queue = FakeQueue()
    queue.to_receive = [
        FakeSqsMessage(
            an_envelope_body(),
            {
                RETRIES_ATTRIBUTE: {"DataType": "Number", "StringValue": "4"},
                FIRST_FAILURE_ATTRIBUTE: {"DataType": "Number", "StringValue": "1234"},
            },
        )
    ]

    message = next(a_consumer(FakeQueue(), queue))

    assert message is not None
    assert history_from_options(message.options) == History(4, 1234, 0)
