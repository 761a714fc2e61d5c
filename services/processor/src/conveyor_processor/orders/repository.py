"""Orders in PostgreSQL, written once per order id whatever the deliveries."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from sqlalchemy import Engine, Table, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from conveyor_aws.failures import PermanentFailure
from conveyor_common.orders import Order
from conveyor_processor.orders.rows import (
    ORDER_COLUMN_OF,
    ORDER_FIELDS_NOT_IN_ROW,
    OrderItemRow,
    OrderRow,
    item_count,
)

_ORDERS: Table = OrderRow.__table__  # type: ignore[attr-defined]
_ORDER_ITEMS: Table = OrderItemRow.__table__  # type: ignore[attr-defined]


class EventReused(PermanentFailure, RuntimeError):
    """An event id already stored with another order: the producer broke its contract."""


class SqlOrderRepository:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def save_order(self, order: Order, *, event_id: uuid.UUID, correlation_id: str) -> bool:
        """Insert the order and its items in one transaction; False if it was already there."""
        # No conflict target: two racing deliveries of one event collide on order_id
        # or on event_id, whichever index PostgreSQL checks first, and both mean "stored".
        statement = (
            pg_insert(_ORDERS)
            .values(_order_values(order, event_id=event_id, correlation_id=correlation_id))
            .on_conflict_do_nothing()
            .returning(_ORDERS.c.order_id)
        )
        with self._engine.begin() as connection:
            if connection.execute(statement).first() is None:
                stored = select(_ORDERS.c.order_id).where(_ORDERS.c.order_id == order.order_id)
                if connection.execute(stored).first() is None:
                    raise EventReused(f"event {event_id} is stored with another order")
                return False
            connection.execute(insert(_ORDER_ITEMS), _item_values(order))
        return True


def _order_values(order: Order, *, event_id: uuid.UUID, correlation_id: str) -> dict[str, Any]:
    values = {
        ORDER_COLUMN_OF.get(name, name): getattr(order, name)
        for name in order.__struct_fields__
        if name not in ORDER_FIELDS_NOT_IN_ROW
    }
    return values | {
        "item_count": item_count(order),
        "event_id": event_id,
        "correlation_id": correlation_id,
    }


def _item_values(order: Order) -> list[dict[str, Any]]:
    return [
        {"order_id": order.order_id, "line_no": line_no, **msgspec.structs.asdict(item)}
        for line_no, item in enumerate(order.items, start=1)
    ]
