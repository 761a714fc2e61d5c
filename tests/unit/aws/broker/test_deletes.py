"""Handled messages are deleted ten per call, or once the first has waited its linger, and
on close; a delete that fails leaves its message to be redelivered without stopping the
consumer."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from tests.unit.aws.broker.fakes import (
    TEST_LINGER_SECONDS,
    FakeQueue,
    FakeSqsMessage,
    a_consumer,
    a_delivery,
    an_envelope_body,
    mock_sleep,
)

from conveyor_aws.broker.attributes import KEEP_OPTION
from conveyor_aws.broker.consumer import EnvelopeConsumer
from conveyor_aws.broker.deletes import MAX_BATCH, BatchedDeletes
from conveyor_aws.broker.liveness_recorder import LivenessRecorder

WAIT_SECONDS = 10


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


def test_fewer_than_ten_leave_in_one_call_once_the_first_has_lingered() -> None:
    queue = FakeQueue()
    consumer = a_consumer(FakeQueue(), queue, linger_seconds=0.05)

    handled = acked(consumer, 3)

    wait_until(lambda: consumer.deletes.pending() == 0)
    assert queue.delete_calls == [[m.receipt_handle for m in handled]]
    assert all(original.deleted for original in handled)


def test_a_mark_after_the_linger_waits_for_a_linger_of_its_own() -> None:
    queue = FakeQueue()
    consumer = a_consumer(FakeQueue(), queue, linger_seconds=0.05)
    first = acked(consumer, 1)
    wait_until(lambda: len(queue.delete_calls) == 1)

    second = acked(consumer, 2)

    wait_until(lambda: len(queue.delete_calls) == 2)
    assert queue.delete_calls[1] == [m.receipt_handle for m in second]
    assert all(original.deleted for original in first + second)


class MarkingQueue(FakeQueue):
    """Has one more message handled while its first delete call is out."""

    def __init__(self, consumer: Callable[[], EnvelopeConsumer]) -> None:
        super().__init__()
        self.consumer = consumer
        self.marked_during_call: list[FakeSqsMessage] = []

    def delete_messages(self, **kwargs: Any) -> dict[str, Any]:
        if not self.delete_calls:
            consumer = self.consumer()
            consumer.deletes.linger_seconds = TEST_LINGER_SECONDS
            self.marked_during_call = acked(consumer, 1)
        return super().delete_messages(**kwargs)


def test_a_mark_made_while_a_call_is_out_waits_for_its_own_linger() -> None:
    consumer: EnvelopeConsumer | None = None
    queue = MarkingQueue(lambda: consumer)  # type: ignore[arg-type,return-value]
    consumer = a_consumer(FakeQueue(), queue, linger_seconds=0.05)
    first = acked(consumer, 2)

    wait_until(lambda: len(queue.delete_calls) == 1)

    assert queue.delete_calls == [[m.receipt_handle for m in first]]
    assert consumer.deletes.pending() == 1
    assert not queue.marked_during_call[0].deleted


class SlowQueue(FakeQueue):
    """Answers each delete call only once `answer` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.called = threading.Event()
        self.answer = threading.Event()

    def delete_messages(self, **kwargs: Any) -> dict[str, Any]:
        self.called.set()
        assert self.answer.wait(WAIT_SECONDS)
        return super().delete_messages(**kwargs)


def test_close_waits_for_the_delete_call_the_flusher_has_out() -> None:
    queue = SlowQueue()
    consumer = a_consumer(FakeQueue(), queue, linger_seconds=0.01)
    handled = acked(consumer, 2)
    assert queue.called.wait(WAIT_SECONDS)
    threading.Timer(0.2, queue.answer.set).start()

    consumer.close()

    assert all(original.deleted for original in handled)


def test_slow_deletes_keep_to_one_flusher_thread() -> None:
    queue = SlowQueue()
    consumer = a_consumer(FakeQueue(), queue, linger_seconds=0.01)
    before = threading.active_count()
    acked(consumer, 1)
    assert queue.called.wait(WAIT_SECONDS)

    for _ in range(5):
        acked(consumer, 1)
        time.sleep(0.03)

    assert threading.active_count() == before + 1
    queue.answer.set()
    consumer.close()


def test_passes_of_the_consumer_leave_the_acks_to_gather() -> None:
    queue = FakeQueue()
    consumer = a_consumer(FakeQueue(), queue, prefetch=4)
    acked(consumer, 3)
    queue.to_receive = [FakeSqsMessage(an_envelope_body())]

    assert next(consumer) is not None
    with mock_sleep():
        assert next(consumer) is None

    assert queue.delete_calls == []
    assert consumer.deletes.pending() == 3


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


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
    deletes = BatchedDeletes(queue, queue_name="q", linger_seconds=TEST_LINGER_SECONDS)
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
