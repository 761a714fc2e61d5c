"""`conveyor dlq` against the running stack: a parked order, redriven, is processed once."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from conveyor_aws.broker.attributes import ERROR_ATTRIBUTE
from conveyor_common.envelope import encode, wrap
from conveyor_common.events import OrderSubmitted
from conveyor_common.orders import Order, OrderItem
from conveyor_devstack.stack import Stack

from .conftest import eventually, queue_depth
from .test_order_pipeline import emails_to, order_rows, unique_email

pytestmark = pytest.mark.e2e

CLI = Path(sys.executable).with_name("conveyor")
REASON = "transient, still failing after 6 h: OperationalError: connection refused"


def conveyor(stack: Stack, *args: str) -> str:
    return subprocess.run(
        [str(CLI), *args], env=stack.env, check=True, capture_output=True, text=True
    ).stdout


def an_order(email: str) -> Order:
    price = Decimal("7.00")
    return Order(
        order_id=uuid.uuid4(),
        tenant_id="e2e-tenant",
        customer_id="parked-1",
        customer_email=email,
        customer_name=None,
        currency="USD",
        items=(OrderItem(sku="P", name=None, quantity=1, unit_price=price, line_total=price),),
        total_amount=price,
        submitted_at=datetime.now(UTC),
    )


def test_a_parked_order_redriven_with_the_command_is_processed_once(
    stack: Stack, aws_client: Callable[[str], Any]
) -> None:
    # given an OrderSubmitted parked in the processor's DLQ, as the broker parks it
    sqs = aws_client("sqs")
    queue = stack.env["PROCESSOR_QUEUE"]
    dlq_url = sqs.get_queue_url(QueueName=f"{queue}-dlq")["QueueUrl"]
    email = unique_email()
    order = an_order(email)
    envelope = wrap(OrderSubmitted(order=order), tenant_id="e2e-tenant", correlation_id="parked")
    body = encode(envelope).decode()

    def park() -> None:
        sqs.send_message(
            QueueUrl=dlq_url,
            MessageBody=body,
            MessageAttributes={
                "event_type": {"DataType": "String", "StringValue": "OrderSubmitted"},
                ERROR_ATTRIBUTE: {"DataType": "String", "StringValue": REASON},
            },
        )

    park()

    # when an operator lists the DLQs
    report = json.loads(conveyor(stack, "dlq", "show", "--json"))

    # then it shows the order's event with why it was parked, and leaves it there
    processor_dlq = report[f"{queue}-dlq"]
    [parked] = [m for m in processor_dlq["messages"] if m["eventId"] == str(envelope.event_id)]
    assert (parked["eventType"], parked["reason"]) == ("OrderSubmitted", REASON)
    assert processor_dlq["count"] == len(processor_dlq["messages"]) >= 1
    assert f"{stack.env['NOTIFIER_QUEUE']}-dlq" in report
    assert queue_depth(aws_client, f"{queue}-dlq") == processor_dlq["count"]

    # when it is redriven
    assert "moved" in conveyor(stack, "dlq", "redrive", "--event-type", "OrderSubmitted")

    # then the order is stored once and confirmed once
    assert len(eventually(lambda: order_rows(stack, str(order.order_id)), what="the row")) == 1
    assert len(eventually(lambda: emails_to(stack, email), what="the e-mail")) == 1
    assert not in_dlq(stack, envelope.event_id)

    # when a second copy is redriven, as a crash between the redrive's send and its
    # delete would leave one
    park()
    assert "moved" in conveyor(stack, "dlq", "redrive", "--queue", queue)
    queues = [queue, stack.env["NOTIFIER_QUEUE"]]
    eventually(lambda: all(queue_depth(aws_client, q) == 0 for q in queues), what="drained queues")

    # then nothing changes: one row, one e-mail, nothing parked
    assert len(order_rows(stack, str(order.order_id))) == 1
    assert len(emails_to(stack, email)) == 1
    assert not in_dlq(stack, envelope.event_id)


def in_dlq(stack: Stack, event_id: uuid.UUID) -> bool:
    report = json.loads(conveyor(stack, "dlq", "show", "--json"))
    return any(
        message["eventId"] == str(event_id)
        for queue in report.values()
        for message in queue["messages"]
    )
