"""What callers see of an order: camelCase JSON, money as strings with 2 decimals."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import msgspec

from conveyor_aws.order_items import OrderRecord, OrderState
from conveyor_common.money import CENT


class AcceptedOrder(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    order_id: str
    status: str


class OrderItemView(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    sku: str
    name: str | None
    quantity: int
    unit_price: str
    line_total: str


class OrderView(msgspec.Struct, frozen=True, kw_only=True, rename="camel", omit_defaults=True):
    order_id: str
    # ACCEPTED, then PERSISTED; PENDING while storing it fails and is retried.
    status: str
    customer_id: str
    customer_email: str
    customer_name: str | None
    currency: str
    items: list[OrderItemView]
    total_amount: str
    submitted_at: datetime
    # Why a PENDING order is not stored yet; absent otherwise.
    last_error: str | None = None


def money_text(amount: Decimal) -> str:
    return str(amount.quantize(CENT))


def order_view(stored: OrderRecord) -> OrderView:
    order = stored.order
    return OrderView(
        order_id=str(order.order_id),
        status=stored.status.value,
        customer_id=order.customer_id,
        customer_email=order.customer_email,
        customer_name=order.customer_name,
        currency=order.currency,
        items=[
            OrderItemView(
                sku=item.sku,
                name=item.name,
                quantity=item.quantity,
                unit_price=money_text(item.unit_price),
                line_total=money_text(item.line_total),
            )
            for item in order.items
        ],
        total_amount=money_text(order.total_amount),
        submitted_at=order.submitted_at,
        last_error=stored.last_error if stored.status is OrderState.PENDING else None,
    )
