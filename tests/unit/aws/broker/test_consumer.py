"""The consumer: SQS messages in, dramatiq messages out, and what it parks in the DLQ."""

from __future__ import annotations

import contextlib
import threading
import time

import pytest
from tests.unit.aws.broker.fakes import (
    FakeQueue,
    FakeSqsMessage,
    a_consumer,
    a_delivery,
    an_envelope_body,
    an_unknown_envelope_body,
    mock_sleep,
)

from conveyor_aws.broker import consumer as consumer_module
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


def test_a_consumer_holding_more_than_half_its_prefetch_waits_and_then_fills_it() -> None:
    # given a consumer of prefetch 8 holding 5 messages
    queue = FakeQueue()
    consumer = a_consumer(FakeQueue(), queue, prefetch=8)
    consumer.message_refc = 5
    with mock_sleep() as slept:
        # when it is asked for a message, it receives none (and backs off not at all)
        assert next(consumer) is None
        assert queue.receives == []
        # and once one more is handled, 4 held, it receives 4 to fill the prefetch
        consumer.ack(a_delivery()[0])
        queue.to_receive = [FakeSqsMessage(an_envelope_body()) for _ in range(4)]
        assert next(consumer) is not None
    assert [receive["MaxNumberOfMessages"] for receive in queue.receives] == [4]
    assert consumer.message_refc == 8
    assert slept == []


def test_a_handled_message_that_makes_room_wakes_the_waiting_consumer_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a consumer whose wait for room would last a minute
    monkeypatch.setattr(consumer_module, "ROOM_WAIT_SECONDS", 60.0)
    consumer = a_consumer(FakeQueue(), FakeQueue(), prefetch=2)
    consumer.message_refc = 2
    waiting = threading.Thread(target=next, args=(consumer,))
    waiting.start()
    # when a worker finishes a message while it waits
    time.sleep(0.2)
    consumer.ack(a_delivery()[0])
    # then the wait ends long before the minute is up
    waiting.join(timeout=10)
    assert not waiting.is_alive()


def test_an_empty_receive_backs_off_and_a_message_resets_the_back_off() -> None:
    queue = FakeQueue()
    consumer = a_consumer(FakeQueue(), queue, prefetch=8)
    with mock_sleep() as slept:
        assert next(consumer) is None
        assert next(consumer) is None
        queue.to_receive = [FakeSqsMessage(an_envelope_body())]
        assert next(consumer) is not None
    assert len(slept) == 2
    assert slept[1] > 0
    assert consumer.misses == 0


@pytest.mark.parametrize(("threads", "held", "asked"), [(10, 6, 4), (10, 9, 1), (4, -3, 8)])
def test_the_consumer_receives_while_a_thread_may_be_idle(
    threads: int, held: int, asked: int
) -> None:
    # dramatiq asks for twice its threads; dramatiq-sqs caps that at 10. A count below
    # zero: a replaced consumer's messages acked through this one.
    queue = FakeQueue()
    consumer = a_consumer(FakeQueue(), queue, prefetch=2 * threads)
    consumer.message_refc = held
    queue.to_receive = [FakeSqsMessage(an_envelope_body()) for _ in range(10)]

    assert next(consumer) is not None

    assert [receive["MaxNumberOfMessages"] for receive in queue.receives] == [asked]
