"""Orders through three separate processes: producer → SNS → SQS → processor and notifier."""

from __future__ import annotations

import json
import signal
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import Any

import httpx
import psycopg
import pytest

from conveyor_aws.publisher import EventPublisher
from conveyor_common.envelope import wrap
from conveyor_common.errors import ValidationFailed
from conveyor_common.events import OrderSubmitted
from conveyor_common.orders import (
    CUSTOMER_ID_LENGTH,
    MAX_ITEMS,
    MAX_QUANTITY,
    NAME_LENGTH,
    SKU_LENGTH,
    Order,
    OrderItem,
    decode_order_request,
    normalise_order,
)
from conveyor_devstack.mailbox import CapturedEmail, captured_emails
from conveyor_devstack.stack import Stack

from .conftest import eventually, mint_token, queue_depth

pytestmark = pytest.mark.e2e


def unique_email() -> str:
    return f"buyer-{uuid.uuid4().hex[:10]}@example.com"


def an_order_body(email: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customerId": " cust-7 ",
        "customerEmail": email.upper(),
        "customerName": "Ada <b>Lovelace</b>",
        "currency": "eur",
        "items": [
            {"sku": "BOOK", "name": "Notes", "quantity": 2, "unitPrice": "19.5"},
            {"sku": "PEN", "quantity": 1, "unitPrice": 3},
        ],
        "totalAmount": "42.00",
    }
    return body | overrides


def order_rows(stack: Stack, order_id: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(str(stack.database_url)) as conn:
        return conn.execute(
            "SELECT customer_id, customer_email, currency, total_amount FROM orders "
            "WHERE order_id = %s",
            (order_id,),
        ).fetchall()


def read_model_item(dynamodb: Any, table: str, order_id: str) -> dict[str, Any] | None:
    key = {"pk": {"S": f"ORDER#{order_id}"}, "sk": {"S": "ORDER"}}
    item: dict[str, Any] | None = dynamodb.get_item(TableName=table, Key=key).get("Item")
    return item


def persisted_over_api(api: httpx.Client, order_id: str) -> dict[str, Any] | None:
    response = api.get(f"/api/v1/orders/{order_id}")
    if response.status_code == 200 and response.json()["status"] == "PERSISTED":
        body: dict[str, Any] = response.json()
        return body
    return None


def emails_to(stack: Stack, address: str) -> list[CapturedEmail]:
    return [email for email in captured_emails(stack.moto.mailbox()) if address in email.to]


def test_orders_flow_to_postgres_dynamodb_and_email(
    stack: Stack, api: httpx.Client, aws_client: Callable[[str], Any]
) -> None:
    # given three customers placing orders over HTTP
    emails = [unique_email() for _ in range(3)]
    # when they post their orders, each with its own correlation id
    order_ids = []
    correlation_ids = [f"corr-{uuid.uuid4()}" for _ in emails]
    for email, correlation_id in zip(emails, correlation_ids, strict=True):
        response = api.post(
            "/api/v1/orders",
            json=an_order_body(email),
            headers={"X-Correlation-ID": correlation_id},
        )
        assert response.headers["X-Correlation-ID"] == correlation_id
        assert response.status_code == 202, response.text
        assert response.json()["status"] == "ACCEPTED"
        order_ids.append(response.json()["orderId"])
    # then each is persisted, normalised, in PostgreSQL
    for order_id, email in zip(order_ids, emails, strict=True):
        rows = eventually(partial(order_rows, stack, order_id), what="the order row")
        assert rows == [("cust-7", email, "EUR", Decimal("42.00"))]
    # and in the DynamoDB read model, which the API serves
    dynamodb = aws_client("dynamodb")
    for order_id in order_ids:
        item = eventually(
            partial(read_model_item, dynamodb, stack.env["STATE_TABLE"], order_id),
            what="the DynamoDB read model",
        )
        assert item["status"] == {"S": "PERSISTED"}
        body = eventually(
            partial(persisted_over_api, api, order_id), what="the persisted order over the API"
        )
        assert body["totalAmount"] == "42.00"
        assert [item["lineTotal"] for item in body["items"]] == ["39.00", "3.00"]
    # and each customer got one confirmation e-mail, captured by the emulator
    for email, order_id in zip(emails, order_ids, strict=True):
        sent = eventually(partial(emails_to, stack, email), what=f"the e-mail to {email}")
        assert len(sent) == 1
        assert order_id in sent[0].subject + sent[0].body
        assert "&lt;b&gt;Lovelace&lt;/b&gt;" in sent[0].body
    # and the request's correlation id reached both workers' JSON logs
    for correlation_id in correlation_ids:
        for worker in ("processor", "notifier"):
            assert f'"correlation_id": "{correlation_id}"' in stack.services[worker].log()


def test_an_event_delivered_twice_leaves_one_order_and_one_email(
    stack: Stack, aws_client: Callable[[str], Any]
) -> None:
    # given an OrderSubmitted envelope
    email = unique_email()
    order = Order(
        order_id=uuid.uuid4(),
        tenant_id="e2e-tenant",
        customer_id="dup-1",
        customer_email=email,
        customer_name=None,
        currency="USD",
        items=(
            OrderItem(
                sku="X",
                name=None,
                quantity=1,
                unit_price=Decimal("5.00"),
                line_total=Decimal("5.00"),
            ),
        ),
        total_amount=Decimal("5.00"),
        submitted_at=datetime.now(UTC),
    )
    envelope = wrap(OrderSubmitted(order=order), tenant_id="e2e-tenant", correlation_id="dup")
    publisher = EventPublisher(topic_arn=stack.env["EVENTS_TOPIC_ARN"], client=aws_client("sns"))
    # when SNS delivers it twice
    publisher.publish(envelope)
    publisher.publish(envelope)
    # then both copies are consumed, leaving one row and one e-mail
    queues = [stack.env["PROCESSOR_QUEUE"], stack.env["NOTIFIER_QUEUE"]]
    eventually(lambda: all(queue_depth(aws_client, q) == 0 for q in queues), what="drained queues")
    assert len(eventually(lambda: order_rows(stack, str(order.order_id)), what="the row")) == 1
    assert len(eventually(lambda: emails_to(stack, email), what="the e-mail")) == 1
    with psycopg.connect(str(stack.database_url)) as conn:
        items = conn.execute(
            "SELECT count(*) FROM order_items WHERE order_id = %s", (order.order_id,)
        ).fetchone()
    assert items == (1,)


@pytest.mark.parametrize(
    ("content", "headers", "status"),
    [
        (b'{"customerId": ', {"Content-Type": "application/json"}, 400),
        (b'{"customerId": 5}', {"Content-Type": "application/json"}, 422),
        (b"customerId=5", {"Content-Type": "application/x-www-form-urlencoded"}, 415),
        (b"x" * (2 * 1024 * 1024), {"Content-Type": "application/json"}, 413),
    ],
)
def test_malformed_bodies_get_clear_problem_answers(
    api: httpx.Client, content: bytes, headers: dict[str, str], status: int
) -> None:
    response = api.post("/api/v1/orders", content=content, headers=headers)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == status
    assert problem["title"]


def test_business_rule_violations_name_the_fields(api: httpx.Client) -> None:
    body = an_order_body(unique_email(), currency="XXQ", totalAmount="1.00")
    response = api.post("/api/v1/orders", json=body)
    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["errors"]}
    assert "currency" in fields


def test_callers_without_a_valid_token_are_refused(stack: Stack) -> None:
    with httpx.Client(base_url=stack.producer_url) as anonymous:
        response = anonymous.post("/api/v1/orders", json=an_order_body(unique_email()))
        assert response.status_code == 401
        assert response.json()["status"] == 401
        forged = anonymous.get(
            f"/api/v1/orders/{uuid.uuid4()}", headers={"Authorization": "Bearer not.a.jwt"}
        )
        assert forged.status_code == 401


def test_another_tenants_order_is_not_found(stack: Stack, api: httpx.Client) -> None:
    response = api.post("/api/v1/orders", json=an_order_body(unique_email()))
    order_id = response.json()["orderId"]
    assert api.get(f"/api/v1/orders/{order_id}").status_code == 200
    other = mint_token(stack, tenant="someone-else")
    foreign = httpx.get(
        f"{stack.producer_url}/api/v1/orders/{order_id}",
        headers={"Authorization": f"Bearer {other}"},
    )
    assert foreign.status_code == 404
    assert foreign.json()["status"] == 404


def test_a_poison_message_reaches_the_dlq(stack: Stack, aws_client: Callable[[str], Any]) -> None:
    # given a body no consumer can decode, and an event type nobody handles
    sqs = aws_client("sqs")
    queue = sqs.get_queue_url(QueueName=stack.env["PROCESSOR_QUEUE"])["QueueUrl"]
    dlq = sqs.get_queue_url(QueueName=f"{stack.env['PROCESSOR_QUEUE']}-dlq")["QueueUrl"]
    marker = uuid.uuid4().hex
    unknown = {
        "event_id": str(uuid.uuid4()),
        "event_type": "NobodyHandlesThis",
        "schema_version": 1,
        "occurred_at": datetime.now(UTC).isoformat(),
        "correlation_id": marker,
        "tenant_id": "e2e-tenant",
        "payload": {},
    }
    # when they land on the processor's queue
    sqs.send_message(QueueUrl=queue, MessageBody=f"garbage {marker}")
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(unknown))
    # then after three receives SQS moves both to the DLQ, where they can be inspected
    found: list[str] = []

    def both_in_dlq() -> bool:
        received = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for message in received.get("Messages", []):
            if marker in message["Body"]:
                found.append(message["Body"])
                sqs.delete_message(QueueUrl=dlq, ReceiptHandle=message["ReceiptHandle"])
        return len(found) == 2

    eventually(both_in_dlq, what="the poison messages in the DLQ")
    assert sorted(found) == sorted([f"garbage {marker}", json.dumps(unknown)])


def test_sigterm_lets_the_processor_finish_its_in_flight_message(
    stack: Stack, api: httpx.Client, aws_client: Callable[[str], Any]
) -> None:
    processor = stack.services["processor"]
    try:
        with psycopg.connect(str(stack.database_url)) as blocker:
            # given the processor is stuck mid-message behind a table lock we hold
            blocker.execute("LOCK TABLE orders IN EXCLUSIVE MODE")
            response = api.post("/api/v1/orders", json=an_order_body(unique_email()))
            order_id = response.json()["orderId"]
            eventually(lambda: waiting_on_lock(stack), what="the processor blocked mid-insert")
            # when it is asked to stop
            processor.signal(signal.SIGTERM)
            # then it acknowledges the signal but keeps running while its message is in flight
            processor.wait_until("stopping: finishing in-flight messages")
            assert processor.process is not None
            assert processor.process.poll() is None
            blocker.rollback()
        # and once unblocked it finishes the message, acks it and exits cleanly
        assert processor.stop() == 0
        assert len(order_rows(stack, order_id)) == 1
        assert queue_depth(aws_client, stack.env["PROCESSOR_QUEUE"]) == 0
    finally:
        stack.start_service("processor")


def waiting_on_lock(stack: Stack) -> bool:
    with psycopg.connect(str(stack.database_url)) as conn:
        row = conn.execute("SELECT count(*) FROM pg_locks WHERE NOT granted").fetchone()
    return bool(row and row[0] > 0)


def a_wide_order_body(email: str, *, items: int) -> dict[str, Any]:
    """An order whose every text is at its width limit, in 4-byte characters."""
    wide = "\U0001f4e6"
    lines = [
        {
            "sku": f"{n:04d}" + wide * (SKU_LENGTH - 4),
            "name": wide * NAME_LENGTH,
            "quantity": MAX_QUANTITY,
            "unitPrice": "1.00",
        }
        for n in range(items)
    ]
    return an_order_body(
        email,
        customerId=wide * CUSTOMER_ID_LENGTH,
        customerName=wide * NAME_LENGTH,
        items=lines,
        totalAmount=f"{Decimal(items * MAX_QUANTITY):.2f}",
    )


def accepted_by_the_rules(body: dict[str, Any]) -> bool:
    try:
        normalise_order(
            decode_order_request(body),
            order_id=uuid.uuid4(),
            tenant_id="e2e-tenant",
            submitted_at=datetime.now(UTC),
        )
    except ValidationFailed:
        return False
    return True


def test_the_largest_order_the_rules_accept_is_stored_read_and_confirmed(
    stack: Stack, api: httpx.Client
) -> None:
    # given the widest order the rules accept, and the same with one more item
    items = next(
        n
        for n in range(MAX_ITEMS, 0, -1)
        if accepted_by_the_rules(a_wide_order_body("a@example.com", items=n))
    )
    assert items < MAX_ITEMS
    email = unique_email()
    too_large = api.post("/api/v1/orders", json=a_wide_order_body(email, items=items + 1))
    # then one more item is refused up front, naming why
    assert too_large.status_code == 422, too_large.text
    assert [error["field"] for error in too_large.json()["errors"]] == ["items"]
    assert "too large" in too_large.json()["errors"][0]["message"]
    # and the widest accepted one is a promise: stored, readable and confirmed
    response = api.post("/api/v1/orders", json=a_wide_order_body(email, items=items))
    assert response.status_code == 202, response.text
    order_id = response.json()["orderId"]
    eventually(partial(order_rows, stack, order_id), what="the order row")
    body = eventually(partial(persisted_over_api, api, order_id), what="the order over the API")
    assert len(body["items"]) == items
    assert len(eventually(partial(emails_to, stack, email), what="the confirmation")) == 1
