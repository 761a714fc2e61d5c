"""One definition of an order: the view derives from conveyor_common.orders.Order, so a
new field there is either shown or deliberately hidden."""

from __future__ import annotations

import msgspec

from conveyor_common.orders import Order, OrderItem
from conveyor_producer.orders.views import (
    COPIED_ITEM_FIELDS,
    COPIED_ORDER_FIELDS,
    HIDDEN_ORDER_FIELDS,
    REWORKED_ITEM_FIELDS,
    REWORKED_ORDER_FIELDS,
    OrderItemView,
    OrderView,
)


def names(struct: type[msgspec.Struct]) -> set[str]:
    return {field.name for field in msgspec.structs.fields(struct)}


def types(struct: type[msgspec.Struct]) -> dict[str, object]:
    return {field.name: field.type for field in msgspec.structs.fields(struct)}


def test_every_order_field_is_shown_or_deliberately_hidden() -> None:
    copied, reworked = set(COPIED_ORDER_FIELDS), set(REWORKED_ORDER_FIELDS)
    hidden = set(HIDDEN_ORDER_FIELDS)

    assert copied | reworked | hidden == names(Order)
    assert not copied & reworked
    assert not copied & hidden
    assert not reworked & hidden
    assert copied | reworked <= names(OrderView)


def test_every_order_item_field_is_shown() -> None:
    copied, reworked = set(COPIED_ITEM_FIELDS), set(REWORKED_ITEM_FIELDS)

    assert copied | reworked == names(OrderItem) == names(OrderItemView)
    assert not copied & reworked


def test_a_copied_field_has_the_same_type_in_the_view() -> None:
    pairs: list[tuple[type[msgspec.Struct], type[msgspec.Struct], tuple[str, ...]]] = [
        (OrderView, Order, COPIED_ORDER_FIELDS),
        (OrderItemView, OrderItem, COPIED_ITEM_FIELDS),
    ]
    for view, record, copied in pairs:
        for name in copied:
            assert types(view)[name] == types(record)[name], (view, name)


def test_the_view_adds_only_what_the_stored_record_knows() -> None:
    # the order's state and why it is pending come from the record, not the order
    assert names(OrderView) - names(Order) == {"status", "last_error"}
