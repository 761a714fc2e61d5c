"""The order tables hold conveyor_common.orders' Order and OrderItem, column for field:
a field added to one and not the other, or a nullability that differs, fails here."""

from __future__ import annotations

import types
from typing import Any, get_args

import msgspec
from sqlalchemy import Table

from conveyor_common.orders import Order, OrderItem
from conveyor_processor.orders.rows import (
    ORDER_COLUMN_OF,
    ORDER_FIELDS_NOT_IN_ROW,
    OrderItemRow,
    OrderRow,
)

ORDERS: Table = OrderRow.__table__  # type: ignore[attr-defined]
ORDER_ITEMS: Table = OrderItemRow.__table__  # type: ignore[attr-defined]
# The order row's own columns: the delivery that stored it, what PostgreSQL fills in, and
# the number of its items (orders.rows.item_count).
ORDER_ROW_ONLY = frozenset({"status", "persisted_at", "event_id", "correlation_id", "item_count"})
# An item's row adds its order and its place in it to the OrderItem's fields.
ITEM_ROW_ONLY = frozenset({"order_id", "line_no"})


def admits_none(annotation: Any) -> bool:
    return types.NoneType in get_args(annotation)


def stored_fields(struct: type[msgspec.Struct], *, apart: frozenset[str]) -> dict[str, Any]:
    """Column name -> field type of the fields a row holds."""
    return {
        ORDER_COLUMN_OF.get(field.name, field.name) if struct is Order else field.name: field.type
        for field in msgspec.structs.fields(struct)
        if field.name not in apart
    }


def test_the_order_row_holds_every_order_field_and_its_own_columns() -> None:
    fields = stored_fields(Order, apart=ORDER_FIELDS_NOT_IN_ROW)
    assert {column.name for column in ORDERS.columns} == set(fields) | ORDER_ROW_ONLY
    assert not set(fields) & ORDER_ROW_ONLY
    assert set(ORDER_COLUMN_OF) <= set(Order.__struct_fields__)


def test_an_item_row_holds_every_item_field_and_its_place() -> None:
    fields = stored_fields(OrderItem, apart=frozenset())
    assert {column.name for column in ORDER_ITEMS.columns} == set(fields) | ITEM_ROW_ONLY
    assert not set(fields) & ITEM_ROW_ONLY


def test_a_column_is_nullable_exactly_when_its_field_may_be_none() -> None:
    for table, fields in (
        (ORDERS, stored_fields(Order, apart=ORDER_FIELDS_NOT_IN_ROW)),
        (ORDER_ITEMS, stored_fields(OrderItem, apart=frozenset())),
    ):
        nullability = {name: table.columns[name].nullable for name in fields}
        assert nullability == {name: admits_none(kind) for name, kind in fields.items()}, table
