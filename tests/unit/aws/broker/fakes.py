"""Fake SQS queues and messages, and a real envelope, for the broker's unit tests."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

import dramatiq
import pytest
from dramatiq_sqs.broker import _SQSMessage

from conveyor_aws.broker.consumer import EnvelopeConsumer
from conveyor_aws.broker.liveness_recorder import LivenessRecorder
from conveyor_common.envelope import encode, wrap
from conveyor_common.events import OrderSubmitted
from conveyor_common.orders import OrderItemRequest, OrderRequest, normalise_order

EVENT_TYPE = "OrderSubmitted"


class FakeSqsMessage:
    # Every message by its receipt handle, so that a queue's batch delete can mark it.
    received: ClassVar[dict[str, FakeSqsMessage]] = {}

    def __init__(self, body: str, attributes: dict[str, Any] | None = None) -> None:
        self.body = body
        self.message_id = str(uuid.uuid4())
        self.receipt_handle = f"handle-{self.message_id}"
        FakeSqsMessage.received[self.receipt_handle] = self
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
        self.delete_calls: list[list[str]] = []
        self.delete_failures = 0
        self.refused: set[str] = set()
        # The arguments of each ReceiveMessage.
        self.receives: list[dict[str, Any]] = []

    def send_message(self, **kwargs: Any) -> dict[str, str]:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("SQS unreachable")
        self.sent.append(kwargs)
        return {"MessageId": str(uuid.uuid4())}

    def delete_messages(self, *, Entries: list[dict[str, str]]) -> dict[str, Any]:  # noqa: N803
        """DeleteMessageBatch: a handle in `refused` fails its entry, as an expired one does."""
        if self.delete_failures:
            self.delete_failures -= 1
            raise ConnectionError("SQS unreachable")
        self.delete_calls.append([entry["ReceiptHandle"] for entry in Entries])
        failed = [entry for entry in Entries if entry["ReceiptHandle"] in self.refused]
        for entry in Entries:
            if entry not in failed:
                FakeSqsMessage.received.pop(entry["ReceiptHandle"]).deleted = True
        return {
            "Successful": [{"Id": entry["Id"]} for entry in Entries if entry not in failed],
            "Failed": [
                {"Id": entry["Id"], "Code": "ReceiptHandleIsInvalid", "SenderFault": True}
                for entry in failed
            ],
        }

    def receive_messages(self, **kwargs: Any) -> list[FakeSqsMessage]:
        self.receives.append(kwargs)
        received, self.to_receive = self.to_receive, []
        return received


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


# Longer than any test: a delete leaves by time only where a test sets a short linger.
TEST_LINGER_SECONDS = 60.0


def a_consumer(
    dlq: FakeQueue,
    queue: FakeQueue | None = None,
    *,
    prefetch: int = 1,
    linger_seconds: float = TEST_LINGER_SECONDS,
) -> EnvelopeConsumer:
    consumer = EnvelopeConsumer(
        queue or FakeQueue(),
        prefetch,
        1_000,
        dead_letter_queue=dlq,
        visibility_timeout=300,
        queue_name="q",
        service="test",
        event_types=frozenset({EVENT_TYPE}),
        liveness=LivenessRecorder(),
    )
    consumer.deletes.linger_seconds = linger_seconds
    return consumer


def a_delivery(options: dict[str, Any] | None = None) -> tuple[Any, FakeSqsMessage]:
    """A received message as the worker holds it: dramatiq's proxy around the SQS message."""
    sqs_message = FakeSqsMessage(an_envelope_body())
    message: dramatiq.Message[Any] = dramatiq.Message(
        queue_name="q",
        actor_name=EVENT_TYPE,
        args=(sqs_message.body,),
        kwargs={},
        options=options or {},
    )
    return _SQSMessage(sqs_message, message), sqs_message


@contextlib.contextmanager
def mock_sleep() -> Iterator[list[float]]:
    """time.sleep in the consumer, recorded rather than slept."""
    slept: list[float] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("conveyor_aws.broker.consumer.time.sleep", slept.append)
        yield slept
