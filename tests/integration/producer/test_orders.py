"""The producer API against the moto server and real PostgreSQL, called in-process."""

from __future__ import annotations

import time
from typing import Any

import pytest
from litestar.testing import TestClient
from mypy_boto3_sqs.type_defs import MessageTypeDef

from conveyor_aws import clients
from conveyor_aws.publisher import EVENT_TYPE_ATTRIBUTE
from conveyor_aws.resources import ResourceNames
from conveyor_aws.state_store import StateStore
from conveyor_common.envelope import Envelope, decode
from conveyor_common.events import OrderSubmitted
from conveyor_devstack.ports import LOOPBACK, free_port
from conveyor_producer.acceptance.idempotency_store import KeyOwner, record_key
from conveyor_producer.app import real_app
from conveyor_producer.orders.service import ORDER_KEYS
from conveyor_producer.settings import ProducerSettings
from conveyor_producer.token import issue_token

pytestmark = pytest.mark.integration

SECRET = "integration-secret-of-at-least-32-bytes"
TENANT = "tenant-producer-int"
DELIVERY_TIMEOUT_SECONDS = 30
NAMES = ResourceNames()

ORDER_BODY: dict[str, Any] = {
    "customerId": " cust-7 ",
    "customerEmail": "Grace@Example.com",
    "customerName": "Grace Hopper",
    "currency": "usd",
    "items": [{"sku": "COBOL-1", "name": "Manual", "quantity": 3, "unitPrice": "12.50"}],
}


def producer_settings(aws: dict[str, str], database_url: str) -> ProducerSettings:
    return ProducerSettings(
        aws_endpoint_url=aws["AWS_ENDPOINT_URL"],
        state_table=aws["STATE_TABLE"],
        events_topic_arn=aws["EVENTS_TOPIC_ARN"],
        database_url=database_url,
        jwt_secret=SECRET,
    )


@pytest.fixture
def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(SECRET, sub='grace', tenant=TENANT)}"}


def receive_envelope(queue: str, order_id: str) -> tuple[Envelope, MessageTypeDef]:
    """Polls `queue` until the envelope of `order_id` arrives; deletes what it reads."""
    sqs = clients.sqs()
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    deadline = time.monotonic() + DELIVERY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        messages = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=1,
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            envelope = decode(message["Body"])
            if (
                isinstance(envelope.payload, OrderSubmitted)
                and str(envelope.payload.order.order_id) == order_id
            ):
                return envelope, message
    raise AssertionError(f"order {order_id} never reached {queue}")


def test_an_accepted_order_reaches_the_processor_queue_but_not_the_notifiers(
    client: TestClient[Any], auth: dict[str, str]
) -> None:
    # given an order submitted with a correlation id
    response = client.post(
        "/api/v1/orders", json=ORDER_BODY, headers={**auth, "X-Correlation-ID": "int-corr-1"}
    )
    assert response.status_code == 202
    order_id = response.json()["orderId"]

    # then the processor's queue receives the OrderSubmitted envelope
    envelope, message = receive_envelope(NAMES.queue("processor"), order_id)
    assert message["MessageAttributes"][EVENT_TYPE_ATTRIBUTE]["StringValue"] == "OrderSubmitted"
    assert envelope.event_type == "OrderSubmitted"
    assert envelope.tenant_id == TENANT
    assert envelope.correlation_id == "int-corr-1"
    assert isinstance(envelope.payload, OrderSubmitted)
    assert envelope.payload.order.customer_email == "grace@example.com"
    assert envelope.payload.order.currency == "USD"
    # and the notifier's does not: it confirms on OrderPersisted, once the order is stored
    # (SNS delivered to every subscribed queue before the publish that the 202 waited for)
    url = clients.sqs().get_queue_url(QueueName=NAMES.queue("notifier"))["QueueUrl"]
    attributes = clients.sqs().get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    assert all(int(count) == 0 for count in attributes.values())


def test_the_accepted_order_reads_back_from_dynamodb(
    client: TestClient[Any], auth: dict[str, str]
) -> None:
    order_id = client.post("/api/v1/orders", json=ORDER_BODY, headers=auth).json()["orderId"]

    response = client.get(f"/api/v1/orders/{order_id}", headers=auth)

    assert response.status_code == 200
    body = response.json()
    assert body["orderId"] == order_id
    assert body["status"] == "ACCEPTED"
    assert body["customerId"] == "cust-7"
    assert body["totalAmount"] == "37.50"
    assert body["items"] == [
        {
            "sku": "COBOL-1",
            "name": "Manual",
            "quantity": 3,
            "unitPrice": "12.50",
            "lineTotal": "37.50",
        }
    ]
    other_tenant = {"Authorization": f"Bearer {issue_token(SECRET, sub='eve', tenant='other')}"}
    assert client.get(f"/api/v1/orders/{order_id}", headers=other_tenant).status_code == 404


def test_an_idempotent_retry_answers_with_the_first_order(
    client: TestClient[Any], auth: dict[str, str]
) -> None:
    headers = {**auth, "Idempotency-Key": "int-key-1"}

    first = client.post("/api/v1/orders", json=ORDER_BODY, headers=headers)
    retry = client.post("/api/v1/orders", json=ORDER_BODY, headers=headers)
    different = client.post(
        "/api/v1/orders", json={**ORDER_BODY, "currency": "EUR"}, headers=headers
    )

    assert (first.status_code, retry.status_code) == (202, 202)
    assert retry.json()["orderId"] == first.json()["orderId"]
    assert different.status_code == 422


def test_a_retry_after_a_failed_publish_delivers_the_first_event(
    aws: dict[str, str], db: str, auth: dict[str, str]
) -> None:
    # given an instance whose topic does not exist, so publishing fails
    headers = {**auth, "Idempotency-Key": "int-key-2"}
    broken = producer_settings(aws, db).model_copy(
        update={"events_topic_arn": aws["EVENTS_TOPIC_ARN"] + "-missing"}
    )
    with TestClient(real_app(broken)) as client:
        failed = client.post("/api/v1/orders", json=ORDER_BODY, headers=headers)
    assert failed.status_code == 503
    assert "retry-after" in failed.headers
    pending = StateStore(table=aws["STATE_TABLE"]).get(
        record_key(KeyOwner(TENANT, "grace"), "int-key-2"), ORDER_KEYS.sort_key
    )
    assert pending is not None
    assert pending["status"] == "PENDING"

    # when the caller retries against a healthy instance
    with TestClient(real_app(producer_settings(aws, db))) as client:
        retry = client.post("/api/v1/orders", json=ORDER_BODY, headers=headers)

    # then the envelope made for the first attempt is the one delivered
    assert retry.status_code == 202
    assert retry.json()["orderId"] == pending["order_id"]
    envelope, _ = receive_envelope(NAMES.queue("processor"), pending["order_id"])
    assert str(envelope.event_id) == pending["event_id"]


def test_ready_when_postgresql_and_aws_answer(client: TestClient[Any]) -> None:
    response = client.get("/ready")

    assert response.status_code == 200, response.text
    assert response.json()["checks"] == {"database": "ok", "aws": "ok"}


def test_not_ready_when_postgresql_refuses_connections(aws: dict[str, str]) -> None:
    # given a database URL where nothing listens
    refused = f"postgresql://conveyor@{LOOPBACK}:{free_port()}/conveyor"

    with TestClient(real_app(producer_settings(aws, refused))) as client:
        response = client.get("/ready")

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert "database: " in response.json()["detail"]
    assert "aws: " not in response.json()["detail"]
