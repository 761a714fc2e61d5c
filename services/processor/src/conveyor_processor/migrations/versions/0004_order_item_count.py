"""Each order stores how many items it has, so exports read a column instead of
counting order_items per order; constraint triggers keep it equal to the real count.

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

_CHECK_FUNCTION = "orders_item_count_matches_items"
_CHECK_ONE = "order_item_count_matches_items"
_ORDERS_TRIGGER = "tg_orders_item_count_matches_items"
_ITEMS_TRIGGER = "tg_order_items_item_count_matches_items"

# One aggregate over order_items joined to orders: a single pass over both tables,
# where a bounded batch loop would descend into order_items once per order.
_BACKFILL = """
UPDATE orders o SET item_count = counted.items
FROM (SELECT order_id, count(*) AS items FROM order_items GROUP BY order_id) AS counted
WHERE counted.order_id = o.order_id
"""

# Checked at commit, when an order and its items are both written whatever the order
# of the statements (an import deletes an updated order's items, updates the order, then
# copies the new items). An order deleted meanwhile has nothing left to check.
_CREATE_CHECK_ONE = f"""
CREATE FUNCTION {_CHECK_ONE}(checked uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    stored integer;
    actual bigint;
BEGIN
    SELECT item_count INTO stored FROM orders WHERE order_id = checked;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT count(*) INTO actual FROM order_items WHERE order_id = checked;
    IF actual <> stored THEN
        RAISE EXCEPTION 'order % stores item_count %, but has % items', checked, stored, actual
            USING ERRCODE = 'check_violation', TABLE = 'orders',
                  CONSTRAINT = '{_ORDERS_TRIGGER}';
    END IF;
END
$$
"""

# An item moved to another order changes two counts: both orders are checked.
_CREATE_CHECK_FUNCTION = f"""
CREATE FUNCTION {_CHECK_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM {_CHECK_ONE}(NEW.order_id);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM {_CHECK_ONE}(OLD.order_id);
    ELSE
        PERFORM {_CHECK_ONE}(OLD.order_id);
        IF NEW.order_id <> OLD.order_id THEN
            PERFORM {_CHECK_ONE}(NEW.order_id);
        END IF;
    END IF;
    RETURN NULL;
END
$$
"""

_CREATE_ORDERS_TRIGGER = f"""
CREATE CONSTRAINT TRIGGER {_ORDERS_TRIGGER}
AFTER INSERT OR UPDATE OF item_count ON orders
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {_CHECK_FUNCTION}()
"""

_CREATE_ITEMS_TRIGGER = f"""
CREATE CONSTRAINT TRIGGER {_ITEMS_TRIGGER}
AFTER INSERT OR DELETE OR UPDATE OF order_id ON order_items
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {_CHECK_FUNCTION}()
"""


class OrdersWithoutItems(RuntimeError):
    """Stored orders that have no item: the domain forbids them, so no count fits."""


def upgrade() -> None:
    op.add_column("orders", sa.Column("item_count", sa.Integer(), nullable=True))
    op.execute(_BACKFILL)
    _refuse_orders_without_items()
    op.alter_column("orders", "item_count", nullable=False)
    op.create_check_constraint("ck_orders_item_count_positive", "orders", "item_count >= 1")
    op.execute(_CREATE_CHECK_ONE)
    op.execute(_CREATE_CHECK_FUNCTION)
    op.execute(_CREATE_ORDERS_TRIGGER)
    op.execute(_CREATE_ITEMS_TRIGGER)


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
    op.execute(f"DROP TRIGGER {_ITEMS_TRIGGER} ON order_items")
    op.execute(f"DROP TRIGGER {_ORDERS_TRIGGER} ON orders")
    op.execute(f"DROP FUNCTION {_CHECK_FUNCTION}()")
    op.execute(f"DROP FUNCTION {_CHECK_ONE}(uuid)")
    op.drop_constraint("ck_orders_item_count_positive", "orders", type_="check")
    op.drop_column("orders", "item_count")
