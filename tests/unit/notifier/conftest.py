"""Builders for the notifier's unit tests."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from conveyor_common.envelope import Envelope, wrap
from conveyor_common.events import OrderSubmitted
from conveyor_common.orders import OrderItemRequest, OrderRequest, normalise_order

SUBMITTED_AT = datetime(2024, 5, 17, 9, 30, tzinfo=UTC)

OrderEnvelopeFactory = Callable[..., Envelope]


@pytest.fixture
def order_envelope() -> OrderEnvelopeFactory:
    """Makes an OrderSubmitted envelope; keyword arguments override the request's fields."""

    def make(
        *,
        customer_name: str | None = "Ada Lovelace",
        customer_email: str = "ada@example.com",
        items: list[OrderItemRequest] | None = None,
        currency: str = "EUR",
    ) -> Envelope:
        request = OrderRequest(
            customer_id="cust-1",
            customer_email=customer_email,
            customer_name=customer_name,
            currency=currency,
            items=items
            or [
                OrderItemRequest(sku="SKU-1", quantity=2, unit_price=Decimal("9.5"), name="Widget"),
                OrderItemRequest(sku="SKU-2", quantity=1, unit_price=Decimal("100")),
            ],
        )
        order = normalise_order(
            request, order_id=uuid.uuid4(), tenant_id="tenant-1", submitted_at=SUBMITTED_AT
        )
        return wrap(OrderSubmitted(order=order), tenant_id="tenant-1", correlation_id="corr-1")

    return make
