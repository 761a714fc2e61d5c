"""Orders and their items.

Revision ID: 0001
Revises:
Create Date: 2025-01-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    _create_orders()
    _index_orders()
    _create_order_items()


def _create_orders() -> None:
    op.create_table(
        "orders",
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("customer_email", sa.String(length=254), nullable=False),
        sa.Column("customer_name", sa.String(length=256), nullable=True),
        sa.Column("currency", sa.CHAR(length=3), nullable=False),
        sa.Column("total_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column(
            "status", sa.String(length=16), server_default=sa.text("'PERSISTED'"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "persisted_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("correlation_id", sa.Text(), nullable=False),
        sa.CheckConstraint("total_amount >= 0", name="ck_orders_total_amount_not_negative"),
        sa.PrimaryKeyConstraint("order_id", name="orders_pkey"),
        sa.UniqueConstraint("event_id", name="orders_event_id_key"),
    )


def _index_orders() -> None:
    op.create_index("ix_orders_tenant_created", "orders", ["tenant_id", "created_at", "order_id"])
    op.create_index(
        "ix_orders_tenant_status_created", "orders", ["tenant_id", "status", "created_at"]
    )
    op.create_index(
        "ix_orders_tenant_currency_created", "orders", ["tenant_id", "currency", "created_at"]
    )
    op.create_index(
        "ix_orders_tenant_customer_created", "orders", ["tenant_id", "customer_id", "created_at"]
    )


def _create_order_items() -> None:
    op.create_table(
        "order_items",
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("line_total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.CheckConstraint("line_no >= 1", name="ck_order_items_line_no_positive"),
        sa.CheckConstraint("quantity >= 1", name="ck_order_items_quantity_positive"),
        sa.CheckConstraint("unit_price >= 0", name="ck_order_items_unit_price_not_negative"),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.order_id"],
            name="fk_order_items_order_id",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("order_id", "line_no", name="order_items_pkey"),
    )


def downgrade() -> None:
    op.drop_table("order_items")
    op.drop_index("ix_orders_tenant_customer_created", table_name="orders")
    op.drop_index("ix_orders_tenant_currency_created", table_name="orders")
    op.drop_index("ix_orders_tenant_status_created", table_name="orders")
    op.drop_index("ix_orders_tenant_created", table_name="orders")
    op.drop_table("orders")
