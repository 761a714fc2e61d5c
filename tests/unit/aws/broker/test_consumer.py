"""The consumer: SQS messages in, dramatiq messages out, and what it parks in the DLQ."""

from __future__ import annotations

import contextlib

from tests.unit.aws.broker.fakes import (
    FakeQueue,
    FakeSqsMessage,
    a_consumer,
    a_delivery,
    an_envelope_body,
    an_unknown_envelope_body,
)

from conveyor_aws.broker.attributes import (
    ERROR_ATTRIBUTE,
    FIRST_FAILURE_ATTRIBUTE,
    RETRIES_ATTRIBUTE,
)
from conveyor_aws.delivery import History, history_from_options


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
