"""Handled messages are deleted ten per call, before each receive and on close, and a
delete that fails leaves its message to be redelivered without stopping the consumer."""

from __future__ import annotations

import threading
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from tests.unit.aws.broker.fakes import (
    FakeQueue,
    FakeSqsMessage,
    a_consumer,
    a_delivery,
    an_envelope_body,
)

from conveyor_aws.broker.attributes import KEEP_OPTION
from conveyor_aws.broker.consumer import EnvelopeConsumer
from conveyor_aws.broker.deletes import MAX_BATCH, BatchedDeletes
from conveyor_aws.broker.liveness_recorder import LivenessRecorder


def acked(consumer: EnvelopeConsumer, count: int) -> list[FakeSqsMessage]:
    """`count` deliveries handled and acked, as worker threads do."""
    originals = []
    for _ in range(count):
        message, original = a_delivery()
        consumer.message_refc += 1
        consumer.ack(message)
        originals.append(original)
    return originals


def test_acks_wait_until_ten_then_leave_in_one_call() -> None:
    queue = FakeQueue()
    consumer = a_consumer(FakeQueue(), queue)

    nine = acked(consumer, MAX_BATCH - 1)
    assert queue.delete_calls == []
    assert not any(original.deleted for original in nine)
    assert consumer.message_refc == 0

    tenth = acked(consumer, 1)

    assert queue.delete_calls == [[m.receipt_handle for m in nine + tenth]]
    assert all(original.deleted for original in nine + tenth)
    assert consumer.deletes.pending() == 0


class RecordingQueue(FakeQueue):
    """Notes which deletes had been made when each receive started."""

    def __init__(self) -> None:
        super().__init__()
        self.deletes_before_receive: list[int] = []

    def receive_messages(self, **kwargs: Any) -> list[FakeSqsMessage]:
        self.deletes_before_receive.append(len(self.delete_calls))
        return super().receive_messages(**kwargs)


def test_each_pass_deletes_what_was_handled_before_it_receives() -> None:
    queue = RecordingQueue()
    consumer = a_consumer(FakeQueue(), queue)
    handled = acked(consumer, 3)

    assert next(consumer) is None

    assert queue.deletes_before_receive == [1]
    assert all(original.deleted for original in handled)


def test_handing_out_what_was_received_leaves_the_acks_to_gather() -> None:
    queue = FakeQueue()
    consumer = a_consumer(FakeQueue(), queue)
    queue.to_receive = [FakeSqsMessage(an_envelope_body()) for _ in range(2)]
    consumer.prefetch = 2
    assert next(consumer) is not None
    acked(consumer, 3)

    assert next(consumer) is not None

    assert queue.delete_calls == []
    assert consumer.deletes.pending() == 3


def test_a_pass_with_every_slot_busy_still_deletes() -> None:
    queue = RecordingQueue()
    consumer = a_consumer(FakeQueue(), queue)
    handled = acked(consumer, 2)
    consumer.message_refc = consumer.prefetch

    assert next(consumer) is None

    assert queue.deletes_before_receive == []
    assert all(original.deleted for original in handled)


def test_close_deletes_what_was_handled() -> None:
    queue = FakeQueue()
    consumer = a_consumer(FakeQueue(), queue)
    handled = acked(consumer, 4)

    consumer.close()

    assert all(original.deleted for original in handled)


def test_an_ack_through_a_closed_consumer_deletes_at_once() -> None:
    # dramatiq closes a consumer whose receive failed and builds another; until it is in
    # place, the worker threads ack through the closed one, which no pass will flush.
    queue = FakeQueue()
    consumer = a_consumer(FakeQueue(), queue)
    consumer.close()

    late = acked(consumer, 3)

    assert all(original.deleted for original in late)
    assert consumer.deletes.pending() == 0


def test_a_refused_entry_is_left_for_redelivery_and_the_rest_deleted() -> None:
    # given ten handled messages, one of whose receipt handles SQS refuses
    queue = FakeQueue()
    consumer = a_consumer(FakeQueue(), queue)
    first = acked(consumer, 1)[0]
    queue.refused = {first.receipt_handle}

    # when the batch leaves
    rest = acked(consumer, MAX_BATCH - 1)

    # then the others are deleted, the refused one is not, and nothing is retried or raised
    assert not first.deleted
    assert all(original.deleted for original in rest)
    assert consumer.deletes.pending() == 0


def test_a_failed_delete_call_neither_raises_nor_stops_the_consumer() -> None:
    # given handled messages whose batch delete cannot reach SQS
    queue = FakeQueue()
    queue.delete_failures = 1
    liveness = LivenessRecorder()
    consumer = a_consumer(FakeQueue(), queue)
    consumer.liveness = liveness
    handled = acked(consumer, 2)
    queue.to_receive = [FakeSqsMessage(acked_body := handled[0].body)]

    # when the consumer passes
    received = next(consumer)

    # then it still receives and counts as alive; the two come back after their visibility
    assert received is not None
    assert received.args == (acked_body,)
    assert liveness.consuming.is_set()
    assert not any(original.deleted for original in handled)


def test_a_kept_message_is_never_deleted() -> None:
    queue = FakeQueue()
    consumer = a_consumer(FakeQueue(), queue)
    message, original = a_delivery({KEEP_OPTION: 30})
    consumer.message_refc = 1

    consumer.ack(message)
    consumer.close()

    assert not original.deleted
    assert original.visibility == [30]
    assert queue.delete_calls == []


@given(st.lists(st.integers(min_value=0, max_value=25), min_size=1, max_size=8))
def test_acks_from_many_threads_delete_each_message_once_in_batches_of_at_most_ten(
    per_thread: list[int],
) -> None:
    queue = FakeQueue()
    deletes = BatchedDeletes(queue, queue_name="q")
    messages = [[FakeSqsMessage("body") for _ in range(count)] for count in per_thread]

    def ack_all(mine: list[FakeSqsMessage]) -> None:
        for message in mine:
            deletes.mark(message)

    threads = [threading.Thread(target=ack_all, args=(mine,)) for mine in messages]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    deletes.flush()

    handles = [handle for call in queue.delete_calls for handle in call]
    assert sorted(handles) == sorted(m.receipt_handle for mine in messages for m in mine)
    assert all(0 < len(call) <= MAX_BATCH for call in queue.delete_calls)
    # Only the flush may send a short batch: every full one left as soon as it filled.
    assert sum(len(call) < MAX_BATCH for call in queue.delete_calls) <= 1
