"""Imported orders, read from PostgreSQL, the system of record.

An import stores its orders there and nowhere else: the DynamoDB read model follows an
order submitted over the API from ACCEPTED to PERSISTED, while an imported order is
PERSISTED from the moment it exists. One statement reads the order and its items, so a
re-import committing meanwhile is seen wholly or not at all.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from conveyor_aws.order_items import OrderRecord, OrderState
from conveyor_common.exports.query import Query
from conveyor_common.orders import Order, OrderItem
from conveyor_producer.database import Database

# Money as text: JSON numbers would come back as floats.
_ORDER_SQL = """
SELECT o.tenant_id, o.customer_id, o.customer_email, o.customer_name, o.currency,
       o.total_amount::text AS total_amount, o.created_at, o.persisted_at,
       COALESCE(
           json_agg(
               json_build_object(
                   'sku', i.sku, 'name', i.name, 'quantity', i.quantity,
                   'unit_price', i.unit_price::text, 'line_total', i.line_total::text
               )
               ORDER BY i.line_no
           ) FILTER (WHERE i.line_no IS NOT NULL),
           '[]'::json
       ) AS items
FROM orders AS o
LEFT JOIN order_items AS i ON i.order_id = o.order_id
WHERE o.order_id = %(order_id)s
GROUP BY o.order_id
"""


class SqlStoredOrders:
    def __init__(self, database: Database) -> None:
        self._database = database

    def find(self, order_id: uuid.UUID) -> OrderRecord | None:
        rows = self._database.fetch_all(Query(_ORDER_SQL, {"order_id": order_id}))
        return stored_record(order_id, rows[0]) if rows else None


def stored_record(order_id: uuid.UUID, row: dict[str, Any]) -> OrderRecord:
    """A stored order's row (with its items aggregated) as the record the API shows."""
    order = Order(
        order_id=order_id,
        tenant_id=row["tenant_id"],
        customer_id=row["customer_id"],
        customer_email=row["customer_email"],
        customer_name=row["customer_name"],
        currency=row["currency"],
        items=tuple(_item(item) for item in row["items"]),
        total_amount=Decimal(row["total_amount"]),
        submitted_at=row["created_at"],
    )
    return OrderRecord(
        tenant_id=order.tenant_id,
        status=OrderState.PERSISTED,
        order=order,
        persisted_at=row["persisted_at"],
    )


def _item(item: dict[str, Any]) -> OrderItem:
    return OrderItem(
        sku=item["sku"],
        name=item["name"],
        quantity=item["quantity"],
        unit_price=Decimal(item["unit_price"]),
        line_total=Decimal(item["line_total"]),
    )
