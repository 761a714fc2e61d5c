"""The orders' tables in PostgreSQL, the system of record: one row per order and one
per item, written from conveyor_common.orders.Order (the repository says how)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    CHAR,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    Uuid,
    func,
    text,
)
from sqlmodel import Field, SQLModel

from conveyor_aws.order_items import OrderState

# The widths of the order contract (conveyor_common): the producer refuses wider values.
from conveyor_common.money import MONEY_PRECISION, MONEY_SCALE
from conveyor_common.orders import CUSTOMER_ID_LENGTH, NAME_LENGTH, SKU_LENGTH, Order
from conveyor_common.text import EMAIL_LENGTH

STATUS_LENGTH = 16

PERSISTED = OrderState.PERSISTED.value


def _money(*, name: str) -> Column[Decimal]:
    return Column(name, Numeric(MONEY_PRECISION, MONEY_SCALE), nullable=False)


class OrderRow(SQLModel, table=True):
    __tablename__ = "orders"
    # Lists and exports filter one tenant's orders by time, optionally by status,
    # currency or customer, newest first; order_id breaks ties for keyset paging.
    __table_args__ = (
        Index("ix_orders_tenant_created", "tenant_id", "created_at", "order_id"),
        Index("ix_orders_tenant_status_created", "tenant_id", "status", "created_at"),
        Index("ix_orders_tenant_currency_created", "tenant_id", "currency", "created_at"),
        Index("ix_orders_tenant_customer_created", "tenant_id", "customer_id", "created_at"),
        CheckConstraint("total_amount >= 0", name="ck_orders_total_amount_not_negative"),
        CheckConstraint("item_count >= 1", name="ck_orders_item_count_positive"),
    )

    order_id: uuid.UUID = Field(sa_column=Column("order_id", Uuid, primary_key=True))
    tenant_id: str = Field(sa_column=Column("tenant_id", Text, nullable=False))
    customer_id: str = Field(
        sa_column=Column("customer_id", String(CUSTOMER_ID_LENGTH), nullable=False)
    )
    customer_email: str = Field(
        sa_column=Column("customer_email", String(EMAIL_LENGTH), nullable=False)
    )
    customer_name: str | None = Field(
        default=None, sa_column=Column("customer_name", String(NAME_LENGTH), nullable=True)
    )
    currency: str = Field(sa_column=Column("currency", CHAR(3), nullable=False))
    total_amount: Decimal = Field(sa_column=_money(name="total_amount"))
    # The number of its rows in order_items, stored so that exports need not count them
    # per order; a constraint trigger (migration 0004) refuses a commit where it differs.
    item_count: int = Field(sa_column=Column("item_count", Integer, nullable=False))
    status: str = Field(
        default=PERSISTED,
        sa_column=Column(
            "status", String(STATUS_LENGTH), nullable=False, server_default=text(f"'{PERSISTED}'")
        ),
    )
    # When the customer submitted the order (the event's order.submitted_at).
    created_at: datetime = Field(
        sa_column=Column("created_at", DateTime(timezone=True), nullable=False)
    )
    persisted_at: datetime | None = Field(
        default=None,
        sa_column=Column(
            "persisted_at", DateTime(timezone=True), nullable=False, server_default=func.now()
        ),
    )
    event_id: uuid.UUID = Field(sa_column=Column("event_id", Uuid, nullable=False, unique=True))
    correlation_id: str = Field(sa_column=Column("correlation_id", Text, nullable=False))


class OrderItemRow(SQLModel, table=True):
    __tablename__ = "order_items"
    __table_args__ = (
        CheckConstraint("line_no >= 1", name="ck_order_items_line_no_positive"),
        CheckConstraint("quantity >= 1", name="ck_order_items_quantity_positive"),
        CheckConstraint("unit_price >= 0", name="ck_order_items_unit_price_not_negative"),
    )

    order_id: uuid.UUID = Field(
        sa_column=Column(
            "order_id",
            Uuid,
            ForeignKey("orders.order_id", ondelete="CASCADE", name="fk_order_items_order_id"),
            primary_key=True,
        )
    )
    line_no: int = Field(sa_column=Column("line_no", Integer, primary_key=True))
    sku: str = Field(sa_column=Column("sku", String(SKU_LENGTH), nullable=False))
    name: str | None = Field(
        default=None, sa_column=Column("name", String(NAME_LENGTH), nullable=True)
    )
    quantity: int = Field(sa_column=Column("quantity", Integer, nullable=False))
    unit_price: Decimal = Field(sa_column=_money(name="unit_price"))
    line_total: Decimal = Field(sa_column=_money(name="line_total"))


# How an Order is stored: each field in the column of the same name, except these.
ORDER_COLUMN_OF = {"submitted_at": "created_at"}
# Stored apart: the items have their own table (and their number in item_count).
ORDER_FIELDS_NOT_IN_ROW = frozenset({"items"})


def item_count(order: Order) -> int:
    """The value of the order's item_count column."""
    return len(order.items)
