"""The DLQ library and `conveyor dlq` against moto server's SQS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from conveyor_aws import clients, dlq
from conveyor_aws.broker.attributes import ERROR_ATTRIBUTE
from conveyor_aws.resources import ResourceNames

pytestmark = pytest.mark.integration

NAMES = ResourceNames()
CLI = Path(sys.executable).with_name("conveyor")


def envelope_body(event_type: str) -> str:
    return json.dumps({"event_id": str(uuid.uuid4()), "event_type": event_type, "payload": {}})


def park(url: str, body: str, *, reason: str, event_type: str | None = None, **extra: str) -> None:
    attributes: dict[str, Any] = {ERROR_ATTRIBUTE: {"DataType": "String", "StringValue": reason}}
    if event_type:
        attributes["event_type"] = {"DataType": "String", "StringValue": event_type}
    for name, value in extra.items():
        attributes[name] = {"DataType": "String", "StringValue": value}
    clients.sqs().send_message(QueueUrl=url, MessageBody=body, MessageAttributes=attributes)


def bodies(url: str) -> list[str]:
    """Every body on a queue, consumed."""
    found: list[str] = []
    while True:
        response = clients.sqs().receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        )
        messages = response.get("Messages", [])
        if not messages:
            return sorted(found)
        for message in messages:
            found.append(message["Body"])
            clients.sqs().delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture
def pair(aws: dict[str, str]) -> dlq.QueuePair:
    return dlq.queue_pair(clients.sqs(), NAMES.queue("processor"))


def test_the_pair_is_found_from_the_queue_or_its_dlq(pair: dlq.QueuePair) -> None:
    assert pair.dlq_name == NAMES.dead_letter_queue("processor")
    assert dlq.queue_pair(clients.sqs(), pair.dlq_name) == pair


def test_listing_shows_reasons_and_consumes_nothing(pair: dlq.QueuePair) -> None:
    # given two parked envelopes and a body that is not one
    order, export = envelope_body("OrderSubmitted"), envelope_body("ExportRequested")
    park(pair.dlq_url, order, reason="permanent: EventReused", event_type="OrderSubmitted")
    park(pair.dlq_url, export, reason="unexpected: ValueError", event_type="ExportRequested")
    park(pair.dlq_url, "garbage", reason="undeliverable: not an event envelope")

    # when listed twice, once for one event type
    everything = dlq.peek(clients.sqs(), pair)
    orders = dlq.peek(clients.sqs(), pair, event_type="OrderSubmitted")

    # then each shows its type, id and reason, and all three are still there
    assert sorted((m.event_type or "?", m.reason) for m in everything) == [
        ("?", "undeliverable: not an event envelope"),
        ("ExportRequested", "unexpected: ValueError"),
        ("OrderSubmitted", "permanent: EventReused"),
    ]
    assert [m.event_id for m in orders] == [json.loads(order)["event_id"]]
    assert bodies(pair.dlq_url) == sorted([order, export, "garbage"])


def test_redriving_one_event_type_moves_only_those_once(pair: dlq.QueuePair) -> None:
    # given two orders (one parked twice) and an export in the DLQ
    first, second = envelope_body("OrderSubmitted"), envelope_body("OrderSubmitted")
    export = envelope_body("ExportRequested")
    for body in (first, first, second):
        park(pair.dlq_url, body, reason="r", event_type="OrderSubmitted")
    park(pair.dlq_url, export, reason="r", event_type="ExportRequested")

    # when the orders are redriven
    result = dlq.redrive(clients.sqs(), pair, event_type="OrderSubmitted")

    # then each order is back on its queue once, and the export is still parked
    assert (result.moved, result.duplicates, result.task_handle) == (2, 1, None)
    assert bodies(pair.url) == sorted([first, second])
    assert bodies(pair.dlq_url) == [export]


def test_a_redriven_message_stays_in_its_trace_with_a_fresh_history(
    pair: dlq.QueuePair,
) -> None:
    # given a parked message that came with a trace context
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    body = envelope_body("OrderSubmitted")
    park(pair.dlq_url, body, reason="r", event_type="OrderSubmitted", traceparent=traceparent)

    # when it is redriven
    dlq.redrive(clients.sqs(), pair, event_type="OrderSubmitted")

    # then it is back with its routing and its trace context, and without its reason
    [message] = clients.sqs().receive_message(
        QueueUrl=pair.url, WaitTimeSeconds=1, MessageAttributeNames=["All"]
    )["Messages"]
    clients.sqs().delete_message(QueueUrl=pair.url, ReceiptHandle=message["ReceiptHandle"])
    attributes = message["MessageAttributes"]
    assert set(attributes) == {"event_type", "traceparent"}
    assert attributes["traceparent"]["StringValue"] == traceparent


def test_redriving_everything_falls_back_when_sqs_cannot_move_messages(
    pair: dlq.QueuePair,
) -> None:
    # given a parked message, on an endpoint without StartMessageMoveTask
    body = envelope_body("OrderSubmitted")
    park(pair.dlq_url, body, reason="r", event_type="OrderSubmitted")

    # when everything is redriven
    result = dlq.redrive(clients.sqs(), pair)

    # then it was moved one by one
    assert (result.moved, result.task_handle) == (1, None)
    assert bodies(pair.url) == [body]
    assert bodies(pair.dlq_url) == []


def test_the_command_lists_and_redrives(pair: dlq.QueuePair, aws: dict[str, str]) -> None:
    # given a parked order
    body = envelope_body("OrderSubmitted")
    park(pair.dlq_url, body, reason="permanent: EventReused", event_type="OrderSubmitted")
    env = {**os.environ, **aws}

    # when `conveyor dlq show --json` runs
    shown = subprocess.run(
        [str(CLI), "dlq", "show", "--queue", pair.name, "--json"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )

    # then it reports the count and the reason
    report = json.loads(shown.stdout)[pair.dlq_name]
    assert report["count"] == 1
    assert report["messages"][0]["reason"] == "permanent: EventReused"
    assert report["messages"][0]["eventType"] == "OrderSubmitted"

    # when `conveyor dlq redrive` runs, it moves it back
    moved = subprocess.run(
        [str(CLI), "dlq", "redrive", "--queue", pair.name, "--event-type", "OrderSubmitted"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    assert "moved 1" in moved.stdout
    assert bodies(pair.url) == [body]
