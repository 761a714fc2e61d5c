"""Batched writes against moto server: concurrent publishes go out in PublishBatch calls
and concurrent plain puts in BatchWriteItem calls, and every one of them lands."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest
from tests.unit.aws.broker.fakes import an_envelope_body

from conveyor_aws import clients
from conveyor_aws.publisher import MAX_BATCH_MESSAGES, EventPublisher
from conveyor_aws.resources import ResourceNames
from conveyor_aws.state_store import MAX_BATCH_PUTS, StateStore
from conveyor_common.envelope import decode

pytestmark = pytest.mark.integration

CALLERS = 32
RECEIVE_ROUNDS = 30


@contextmanager
def batch_sizes(client: Any, event: str, entries: str) -> Iterator[list[int]]:
    """The number of entries of each call `event` names, while inside."""
    sizes: list[int] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        body = params[entries]
        sizes.append(sum(map(len, body.values())) if isinstance(body, dict) else len(body))

    client.meta.events.register(event, record)
    try:
        yield sizes
    finally:
        client.meta.events.unregister(event, record)


def drain(queue_url: str, wanted: int) -> list[Any]:
    sqs, received = clients.sqs(), list[Any]()
    for _ in range(RECEIVE_ROUNDS):
        if len(received) >= wanted:
            break
        answer = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=1,
            MessageAttributeNames=["All"],
        )
        for message in answer.get("Messages", []):
            received.append(message)
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return received


def test_concurrent_publishes_share_publish_batch_calls_and_all_arrive(
    aws: dict[str, str],
) -> None:
    # given a publisher on the events topic with one sender, and 32 callers at once
    publisher = EventPublisher(topic_arn=aws["EVENTS_TOPIC_ARN"], senders=1)
    envelopes = [decode(an_envelope_body()) for _ in range(CALLERS)]

    with (
        batch_sizes(
            clients.sns(), "before-parameter-build.sns.PublishBatch", "PublishBatchRequestEntries"
        ) as sizes,
        ThreadPoolExecutor(CALLERS) as pool,
    ):
        message_ids = list(pool.map(publisher.publish, envelopes))

    # then each caller got its own message id, in fewer calls than messages
    assert len(set(message_ids)) == CALLERS
    assert sum(sizes) == CALLERS
    assert max(sizes) <= MAX_BATCH_MESSAGES
    assert len(sizes) < CALLERS
    # and every event reached the processor's queue, with its routing attribute
    queue_url = clients.sqs().get_queue_url(QueueName=ResourceNames().queue("processor"))
    received = drain(queue_url["QueueUrl"], CALLERS)
    assert sorted(json.loads(m["Body"])["event_id"] for m in received) == sorted(
        str(e.event_id) for e in envelopes
    )
    assert {m["MessageAttributes"]["event_type"]["StringValue"] for m in received} == {
        "OrderSubmitted"
    }


def test_concurrent_puts_share_batch_write_item_calls_and_the_last_write_of_a_key_wins(
    aws: dict[str, str],
) -> None:
    # given distinct keys, and one key written by several callers
    store = StateStore(table=aws["STATE_TABLE"], put_senders=1)
    run = uuid.uuid4().hex
    distinct = [(f"batched#{run}#{n}", "item", {"n": n}) for n in range(60)]
    shared = [(f"batched#{run}#shared", "item", {"n": n}) for n in range(6)]

    with (
        batch_sizes(
            clients.dynamodb(), "before-parameter-build.dynamodb.BatchWriteItem", "RequestItems"
        ) as sizes,
        ThreadPoolExecutor(CALLERS) as pool,
    ):
        list(pool.map(lambda put: store.put(*put), distinct + shared))

    # then every put landed, in fewer calls than puts, none over DynamoDB's limit
    for pk, sk, attributes in distinct:
        assert store.get(pk, sk) == {"pk": pk, "sk": sk, **attributes}
    final = store.get(shared[0][0], "item")
    assert final is not None
    assert final["n"] in range(6)
    assert sum(sizes) == len(distinct) + len(shared)
    assert max(sizes) <= MAX_BATCH_PUTS
    assert len(sizes) < len(distinct)


def test_a_put_after_another_to_the_same_key_is_never_overtaken(aws: dict[str, str]) -> None:
    store = StateStore(table=aws["STATE_TABLE"])
    pk = f"batched#{uuid.uuid4().hex}"

    for n in range(5):
        store.put(pk, "item", {"n": n})

    assert store.get(pk, "item") == {"pk": pk, "sk": "item", "n": 4}
