"""Batched deletes against moto server: handled messages leave the queue in
DeleteMessageBatch calls of up to ten, a refused entry costs only a redelivery,
and closing the consumer deletes what was handled."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import dramatiq
import pytest
from tests.integration.aws.test_worker_liveness import a_queue_with_its_dlq
from tests.unit.aws.broker.fakes import an_envelope_body

from conveyor_aws import clients
from conveyor_aws.broker.deletes import MAX_BATCH
from conveyor_aws.broker.envelope_broker import EnvelopeBroker
from conveyor_aws.broker.liveness_recorder import LivenessRecorder
from conveyor_common.events import OrderSubmitted

pytestmark = pytest.mark.integration

MESSAGES = 35
TIMEOUT_SECONDS = 60
POLL_SECONDS = 0.1
# Long enough that a message whose delete was lost does not come back during a test.
VISIBILITY_SECONDS = 30


class SqsCalls:
    """The SQS calls a broker's client makes, seen through a botocore event hook."""

    def __init__(self, broker: EnvelopeBroker) -> None:
        self.batches: list[int] = []
        self.single_deletes = 0
        events = broker.sqs.meta.client.meta.events
        events.register("before-parameter-build.sqs.DeleteMessageBatch", self._batch)
        events.register("before-parameter-build.sqs.DeleteMessage", self._single)

    def _batch(self, params: dict[str, Any], **_: Any) -> None:
        self.batches.append(len(params["Entries"]))

    def _single(self, **_: Any) -> None:
        self.single_deletes += 1


def a_broker(queue_name: str, handle: Callable[[str], None]) -> EnvelopeBroker:
    broker = EnvelopeBroker(
        service="test", visibility_timeout_seconds=VISIBILITY_SECONDS, liveness=LivenessRecorder()
    )
    dramatiq.actor(actor_name=OrderSubmitted.event_type, queue_name=queue_name, broker=broker)(
        handle
    )
    return broker


def send(queue_name: str, count: int) -> None:
    sqs = clients.sqs()
    url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
    for start in range(0, count, MAX_BATCH):
        entries: Any = [
            {"Id": str(index), "MessageBody": an_envelope_body()}
            for index in range(min(MAX_BATCH, count - start))
        ]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)


def left_on(queue_name: str) -> int:
    """Messages still on the queue, visible or not."""
    sqs = clients.sqs()
    url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
    names: Any = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return sum(int(attributes[name]) for name in names)


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(POLL_SECONDS)


def test_handled_messages_are_deleted_in_batches(aws: dict[str, str]) -> None:
    # given messages on a queue and a worker whose handler notes each one
    queue_name, _ = a_queue_with_its_dlq()
    handled: list[str] = []
    lock = threading.Lock()

    def handle(envelope_json: str) -> None:
        with lock:
            handled.append(envelope_json)

    broker = a_broker(queue_name, handle)
    calls = SqsCalls(broker)
    send(queue_name, MESSAGES)

    # when the worker handles them all
    worker = dramatiq.Worker(broker, queues={queue_name}, worker_threads=4)
    worker.start()
    try:
        wait_for(lambda: len(handled) >= MESSAGES, "every message to be handled")
        wait_for(lambda: left_on(queue_name) == 0, "every handled message to be deleted")
    finally:
        worker.stop()

    # then each left in a batch, never alone, and some batches held several
    assert calls.single_deletes == 0
    assert sum(calls.batches) == MESSAGES
    assert all(size <= MAX_BATCH for size in calls.batches)
    assert len(calls.batches) < MESSAGES
    assert len(handled) == MESSAGES


class Unknown:
    """A received message whose receipt handle SQS does not know, as an expired one."""

    message_id = "unknown"
    receipt_handle = "not-a-receipt-handle"


def test_a_refused_entry_does_not_keep_the_others_and_close_deletes_them(
    aws: dict[str, str],
) -> None:
    # given a consumer holding three handled messages and one whose handle is refused
    queue_name, _ = a_queue_with_its_dlq()
    broker = a_broker(queue_name, lambda _: None)
    calls = SqsCalls(broker)
    send(queue_name, 3)
    consumer = broker.consume(queue_name, prefetch=3, timeout=1_000)
    received = [message for message in (next(consumer) for _ in range(3)) if message]
    assert len(received) == 3
    consumer.deletes.mark(Unknown())
    for message in received:
        consumer.ack(message)
    assert calls.batches == []

    # when the consumer closes
    consumer.close()

    # then one batch left, the refused entry did not raise, and the three are gone
    assert calls.batches == [4]
    assert left_on(queue_name) == 0


def test_a_message_whose_delete_was_refused_is_delivered_again(aws: dict[str, str]) -> None:
    # given a handled message whose delete SQS refuses, as when its handle expired
    queue_name, _ = a_queue_with_its_dlq()
    broker = a_broker(queue_name, lambda _: None)
    sqs = clients.sqs()
    url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
    body = an_envelope_body()
    sqs.send_message(QueueUrl=url, MessageBody=body)
    consumer = broker.consume(queue_name, timeout=1_000)
    message: Any = next(consumer)
    assert message is not None
    real_handle = message._sqs_message.receipt_handle
    message._sqs_message = Unknown()

    # when it is acked and the deletes flushed
    consumer.ack(message)
    consumer.close()

    # then it is still on the queue, and comes back once visible again
    assert left_on(queue_name) == 1
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=real_handle, VisibilityTimeout=0)
    again = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in again] == [body]
