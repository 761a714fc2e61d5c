from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from botocore.exceptions import EndpointConnectionError
from litestar.testing import TestClient
from tests.unit.producer.conftest import TENANT, FakePublisher, FakeStore, bearer, order_body

from conveyor_aws.order_items import order_pk
from conveyor_common.events import OrderSubmitted

ORDERS = "/api/v1/orders"


def test_an_accepted_order_is_answered_202_with_its_location(
    client: TestClient[Any], auth: dict[str, str]
) -> None:
    response = client.post(ORDERS, json=order_body(), headers=auth)

    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "ACCEPTED"
    assert response.headers["location"] == f"{ORDERS}/{body['orderId']}"
    assert uuid.UUID(body["orderId"]).version == 4


def test_the_published_event_carries_the_normalised_order_and_the_token_tenant(
    client: TestClient[Any], publisher: FakePublisher
) -> None:
    # given a caller of tenant "globex" whose body is untrimmed and lower-case
    response = client.post(ORDERS, json=order_body(), headers=bearer(tenant="globex"))

    # then exactly one OrderSubmitted event went out, normalised
    assert response.status_code == 202
    [envelope] = publisher.published
    assert envelope.event_type == "OrderSubmitted"
    assert envelope.tenant_id == "globex"
    assert isinstance(envelope.payload, OrderSubmitted)
    order = envelope.payload.order
    assert str(order.order_id) == response.json()["orderId"]
    assert order.tenant_id == "globex"
    assert order.customer_id == "cust-42"
    assert order.customer_email == "jane.doe@example.com"
    assert order.customer_name == "Jane Doe"
    assert order.currency == "EUR"
    assert [(i.sku, i.name, i.line_total) for i in order.items] == [
        ("SKU-1", "Widget", Decimal("39.98")),
        ("SKU-2", None, Decimal("5")),
    ]
    assert order.total_amount == Decimal("44.98")
    assert order.submitted_at.tzinfo is not None


def test_the_request_is_recorded_before_the_event_is_published(
    client: TestClient[Any], auth: dict[str, str], publisher: FakePublisher
) -> None:
    response = client.post(ORDERS, json=order_body(), headers=auth)

    # the store as the publisher saw it already holds the accepted request
    key = (order_pk(uuid.UUID(response.json()["orderId"])), "REQUEST")
    [seen] = publisher.store_at_publish
    assert seen[key]["status"] == "ACCEPTED"
    assert seen[key]["tenant_id"] == TENANT
    assert seen[key]["order"]["customer_email"] == "jane.doe@example.com"


def test_the_correlation_id_is_echoed_and_published(
    client: TestClient[Any], auth: dict[str, str], publisher: FakePublisher
) -> None:
    response = client.post(
        ORDERS, json=order_body(), headers={**auth, "X-Correlation-ID": "trace-123"}
    )

    assert response.headers["x-correlation-id"] == "trace-123"
    assert publisher.published[0].correlation_id == "trace-123"


def test_a_correlation_id_is_made_up_when_missing_or_unsafe(
    client: TestClient[Any], auth: dict[str, str], publisher: FakePublisher
) -> None:
    first = client.post(ORDERS, json=order_body(), headers=auth)
    second = client.post(
        ORDERS, json=order_body(), headers={**auth, "X-Correlation-ID": "has spaces"}
    )

    made_up = [r.headers["x-correlation-id"] for r in (first, second)]
    assert [uuid.UUID(value).version for value in made_up] == [4, 4]
    assert [e.correlation_id for e in publisher.published] == made_up


def test_error_responses_carry_the_correlation_id_too(
    client: TestClient[Any], auth: dict[str, str]
) -> None:
    response = client.post(
        ORDERS, json=order_body(items=[]), headers={**auth, "X-Correlation-ID": "trace-9"}
    )

    assert response.headers["x-correlation-id"] == "trace-9"
    assert response.json()["correlationId"] == "trace-9"


def test_a_publish_failure_is_503_with_retry_after_and_leaves_no_accepted_order(
    client: TestClient[Any], auth: dict[str, str], publisher: FakePublisher, store: FakeStore
) -> None:
    # given SNS is unreachable
    publisher.failures = 1

    # when an order without an Idempotency-Key is submitted
    response = client.post(ORDERS, json=order_body(), headers=auth)

    # then the caller is told to retry, and nothing claims the order was accepted
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) > 0
    assert publisher.published == []
    assert store.items == {}


def test_an_unreachable_table_is_503(
    client: TestClient[Any], auth: dict[str, str], store: FakeStore, publisher: FakePublisher
) -> None:
    store.fault = EndpointConnectionError(endpoint_url="https://dynamodb.example.invalid")

    response = client.post(ORDERS, json=order_body(), headers=auth)

    assert response.status_code == 503
    assert "retry-after" in response.headers
    assert publisher.published == []


def test_an_unexpected_error_is_a_500_problem_body(
    client: TestClient[Any], auth: dict[str, str], store: FakeStore
) -> None:
    # given a store that breaks in a way no input can cause
    store.fault = RuntimeError("bug")

    response = client.post(ORDERS, json=order_body(), headers=auth)

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "bug" not in response.text
