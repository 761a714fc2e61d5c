"""An imported order is read from PostgreSQL, its only store; an order submitted over
the API from the read model, which follows it from ACCEPTED to PERSISTED."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import psycopg
from litestar.testing import TestClient
from tests.unit.producer.conftest import TENANT, FakeStoredOrders, bearer, order_body

from conveyor_aws.order_items import OrderRecord, OrderState
from conveyor_common.imports.model import imported_order_id, is_imported_order_id
from conveyor_common.orders import Order, OrderItem

ORDERS = "/api/v1/orders"
SUBMITTED_AT = datetime(2026, 5, 1, 9, tzinfo=UTC)


def an_imported_record(order_id: uuid.UUID, *, tenant: str = TENANT) -> OrderRecord:
    order = Order(
        order_id=order_id,
        tenant_id=tenant,
        customer_id="c-1",
        customer_email="jane@example.com",
        customer_name=None,
        currency="EUR",
        items=(
            OrderItem(
                sku="S1",
                name="Widget",
                quantity=2,
                unit_price=Decimal("1.50"),
                line_total=Decimal("3.00"),
            ),
        ),
        total_amount=Decimal("3.00"),
        submitted_at=SUBMITTED_AT,
    )
    return OrderRecord(
        tenant_id=tenant, status=OrderState.PERSISTED, order=order, persisted_at=SUBMITTED_AT
    )


def test_imported_ids_and_api_ids_never_look_alike() -> None:
    assert is_imported_order_id(imported_order_id(TENANT, "A-1"))
    assert not is_imported_order_id(uuid.uuid4())


def test_an_imported_order_reads_back_from_the_system_of_record(
    client: TestClient[Any], auth: dict[str, str], stored_orders: FakeStoredOrders
) -> None:
    order_id = imported_order_id(TENANT, "A-1")
    stored_orders.records[order_id] = an_imported_record(order_id)
    response = client.get(f"{ORDERS}/{order_id}", headers=auth)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["orderId"], body["status"], body["totalAmount"]) == (
        str(order_id),
        "PERSISTED",
        "3.00",
    )
    assert [item["lineTotal"] for item in body["items"]] == ["3.00"]


def test_another_tenants_imported_order_is_not_found(
    client: TestClient[Any], stored_orders: FakeStoredOrders
) -> None:
    order_id = imported_order_id("globex", "A-1")
    stored_orders.records[order_id] = an_imported_record(order_id, tenant="globex")
    response = client.get(f"{ORDERS}/{order_id}", headers=bearer())
    assert response.status_code == 404


def test_an_api_order_is_never_looked_up_in_postgresql(
    client: TestClient[Any], auth: dict[str, str], stored_orders: FakeStoredOrders
) -> None:
    stored_orders.error = AssertionError("an API order read from PostgreSQL")
    order_id = client.post(ORDERS, json=order_body(), headers=auth).json()["orderId"]
    assert client.get(f"{ORDERS}/{order_id}", headers=auth).json()["status"] == "ACCEPTED"


def test_postgresql_down_makes_an_imported_order_a_503_to_retry(
    client: TestClient[Any], auth: dict[str, str], stored_orders: FakeStoredOrders
) -> None:
    stored_orders.error = psycopg.OperationalError("connection refused")
    response = client.get(f"{ORDERS}/{imported_order_id(TENANT, 'A-1')}", headers=auth)
    assert response.status_code == 503
    assert "Retry-After" in response.headers
