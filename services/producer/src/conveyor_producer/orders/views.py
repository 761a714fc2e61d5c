"""What callers see of an order: camelCase JSON, money as strings with 2 decimals.

The view is made from conveyor_common.orders.Order: each of its fields is shown as
it is, shown reworked, or hidden on purpose (the lists below; a test keeps them
complete, so a new Order field needs a decision here).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import msgspec

from conveyor_aws.order_items import OrderRecord, OrderState
from conveyor_common.money import CENT
from conveyor_common.orders import OrderItem
from conveyor_producer.http.paths import API_PREFIX
from conveyor_producer.records import copied_fields

ORDERS_PATH = "/orders"

# Order fields the view shows as they are.
COPIED_ORDER_FIELDS = (
    "customer_id",
    "customer_email",
    "customer_name",
    "currency",
    "submitted_at",
)
# Order fields the view shows reworked: the id as text, money as 2-decimal strings.
REWORKED_ORDER_FIELDS = ("order_id", "items", "total_amount")
# Order fields callers never see, and why.
HIDDEN_ORDER_FIELDS = {"tenant_id": "the caller's own; another tenant's order is not found"}
# The same for each line of the order (conveyor_common.orders.OrderItem).
COPIED_ITEM_FIELDS = ("sku", "name", "quantity")
REWORKED_ITEM_FIELDS = ("unit_price", "line_total")


def order_path(order_id: object) -> str:
    return f"{API_PREFIX}{ORDERS_PATH}/{order_id}"


class AcceptedOrder(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    order_id: str
    status: str

    @property
    def location(self) -> str:
        return order_path(self.order_id)


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


def item_view(item: OrderItem) -> OrderItemView:
    return OrderItemView(
        **copied_fields(item, COPIED_ITEM_FIELDS),
        unit_price=money_text(item.unit_price),
        line_total=money_text(item.line_total),
    )


def order_view(stored: OrderRecord) -> OrderView:
    order = stored.order
    return OrderView(
        **copied_fields(order, COPIED_ORDER_FIELDS),
        order_id=str(order.order_id),
        status=stored.status.value,
        items=[item_view(item) for item in order.items],
        total_amount=money_text(order.total_amount),
        last_error=stored.last_error if stored.status is OrderState.PENDING else None,
    )
