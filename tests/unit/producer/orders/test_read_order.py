from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar.testing import TestClient
from tests.unit.producer.conftest import FakeStore, bearer, order_body

from conveyor_aws.order_items import order_pk

ORDERS = "/api/v1/orders"


def test_an_accepted_order_reads_back_as_accepted_camel_case_json(
    client: TestClient[Any], auth: dict[str, str]
) -> None:
    # given an accepted order
    order_id = client.post(ORDERS, json=order_body(), headers=auth).json()["orderId"]

    # when it is read back
    response = client.get(f"{ORDERS}/{order_id}", headers=auth)

    # then it shows the normalised order with money as 2-decimal strings
    assert response.status_code == 200
    body = response.json()
    submitted_at = body.pop("submittedAt")
    assert submitted_at.endswith("Z") or submitted_at.endswith("+00:00")
    assert body == {
        "orderId": order_id,
        "status": "ACCEPTED",
        "customerId": "cust-42",
        "customerEmail": "jane.doe@example.com",
        "customerName": "Jane Doe",
        "currency": "EUR",
        "items": [
            {
                "sku": "SKU-1",
                "name": "Widget",
                "quantity": 2,
                "unitPrice": "19.99",
                "lineTotal": "39.98",
            },
            {"sku": "SKU-2", "name": None, "quantity": 1, "unitPrice": "5.00", "lineTotal": "5.00"},
        ],
        "totalAmount": "44.98",
    }


def processor_wrote(store: FakeStore, order_id: str, **fields: Any) -> None:
    """The order's read-model item, as the processor writes it beside the accepted request."""
    pk = order_pk(uuid.UUID(order_id))
    request_item = store.items[(pk, "REQUEST")]
    store.put(
        pk,
        "ORDER",
        {
            "tenant_id": request_item["tenant_id"],
            "order": msgspec.to_builtins(request_item["order"]),
            **fields,
        },
    )


def test_the_persisted_read_model_wins_over_the_accepted_request(
    client: TestClient[Any], auth: dict[str, str], store: FakeStore
) -> None:
    # given an accepted order that the processor has since persisted
    order_id = client.post(ORDERS, json=order_body(), headers=auth).json()["orderId"]
    processor_wrote(store, order_id, status="PERSISTED", persisted_at="2024-05-17T09:31:00+00:00")

    response = client.get(f"{ORDERS}/{order_id}", headers=auth)

    assert response.json()["status"] == "PERSISTED"


def test_an_order_whose_storage_is_retried_reads_back_as_pending_with_the_last_error(
    client: TestClient[Any], auth: dict[str, str], store: FakeStore
) -> None:
    # given an accepted order the processor could not store yet
    order_id = client.post(ORDERS, json=order_body(), headers=auth).json()["orderId"]
    processor_wrote(
        store,
        order_id,
        status="PENDING",
        last_error="the database is unavailable (OperationalError); retrying",
        last_error_at="2024-05-17T09:31:00+00:00",
    )

    # when it is read back
    body = client.get(f"{ORDERS}/{order_id}", headers=auth).json()

    # then it says it is waiting, and why
    assert body["status"] == "PENDING"
    assert body["lastError"] == "the database is unavailable (OperationalError); retrying"


def test_an_order_that_is_not_pending_shows_no_last_error(
    client: TestClient[Any], auth: dict[str, str]
) -> None:
    order_id = client.post(ORDERS, json=order_body(), headers=auth).json()["orderId"]

    assert "lastError" not in client.get(f"{ORDERS}/{order_id}", headers=auth).json()


def test_another_tenants_order_is_not_found(client: TestClient[Any]) -> None:
    # given an order of tenant acme
    order_id = client.post(ORDERS, json=order_body(), headers=bearer(tenant="acme")).json()[
        "orderId"
    ]

    # when globex asks for it
    response = client.get(f"{ORDERS}/{order_id}", headers=bearer(tenant="globex"))

    # then it does not exist for them
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_an_unknown_order_is_not_found(client: TestClient[Any], auth: dict[str, str]) -> None:
    response = client.get(f"{ORDERS}/{uuid.uuid4()}", headers=auth)

    assert response.status_code == 404
    assert response.json()["type"].endswith("/order-not-found")


def test_an_id_that_is_not_a_uuid_is_not_found(
    client: TestClient[Any], auth: dict[str, str]
) -> None:
    response = client.get(f"{ORDERS}/not-a-uuid", headers=auth)

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
