"""Each order stores how many items it has, so exports read a column instead of
counting order_items per order.

Revision ID: 0004
Revises: 0003
Create Date: 2025-01-04 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# One aggregate over order_items joined to orders: a single pass over both tables,
# where a bounded batch loop would descend into order_items once per order.
_BACKFILL = """
UPDATE orders o SET item_count = counted.items
FROM (SELECT order_id, count(*) AS items FROM order_items GROUP BY order_id) AS counted
WHERE counted.order_id = o.order_id
"""


class OrdersWithoutItems(RuntimeError):
    """Stored orders that have no item: the domain forbids them, so no count fits."""


def upgrade() -> None:
    op.add_column("orders", sa.Column("item_count", sa.Integer(), nullable=True))
    op.execute(_BACKFILL)
    _refuse_orders_without_items()
    op.alter_column("orders", "item_count", nullable=False)
    op.create_check_constraint("ck_orders_item_count_positive", "orders", "item_count >= 1")


def _refuse_orders_without_items() -> None:
    missing = (
        op.get_bind()
        .execute(sa.text("SELECT count(*) FROM orders WHERE item_count IS NULL"))
        .scalar_one()
    )
    if missing:
        raise OrdersWithoutItems(
            f"{missing} stored orders have no item in order_items; every order has at "
            "least one, so fix or delete them before this migration"
        )


def downgrade() -> None:
    op.drop_constraint("ck_orders_item_count_positive", "orders", type_="check")
    op.drop_column("orders", "item_count")
