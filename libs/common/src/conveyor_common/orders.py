"""Orders: the request a caller sends and the normalised order everyone else sees.

The request types carry the bounds the order tables have (the processor's models
use the same constants); `normalise_order` applies the rules no type can say:
trimming, blank and control-character checks, e-mail, currency and money.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from functools import partial
from typing import Annotated, Any, cast

import msgspec

from conveyor_common.errors import (
    JSON_CONVERSION,
    FieldError,
    ValidationFailed,
    convert_each_field,
    data_conversion,
    field_error,
)
from conveyor_common.money import CURRENCY_INPUT_LENGTH, to_currency, to_money
from conveyor_common.text import (
    EMAIL_LENGTH,
    IDENTIFIER_RULE,
    composed,
    documented_email,
    documented_text,
    refuse_control_characters,
    refuse_format_characters,
    to_email_address,
)

MAX_ITEMS = 500
MAX_QUANTITY = 100_000
MAX_AMOUNT = Decimal("1000000000")
# Widths of the order tables' text columns: the processor's models use these.
CUSTOMER_ID_LENGTH = 128
NAME_LENGTH = 256
SKU_LENGTH = 64
# Bytes of an order's JSON encoding, at most. Its OrderSubmitted event must fit SNS's
# 256 KiB message limit with room for the envelope, and its read-model item DynamoDB's
# 400 KB item limit; the widest order the field limits above allow encodes to ~680 KB.
MAX_ORDER_BYTES = 250 * 1024

CustomerId = Annotated[
    str,
    msgspec.Meta(
        max_length=CUSTOMER_ID_LENGTH,
        extra_json_schema=documented_text(minLength=1, description=IDENTIFIER_RULE),
    ),
]
Sku = Annotated[
    str,
    msgspec.Meta(
        max_length=SKU_LENGTH,
        extra_json_schema=documented_text(minLength=1, description=IDENTIFIER_RULE),
    ),
]
Name = Annotated[
    str,
    msgspec.Meta(
        max_length=NAME_LENGTH,
        extra_json_schema=documented_text(description="Trimmed; blank is no name."),
    ),
]
EmailAddress = Annotated[
    str, msgspec.Meta(max_length=EMAIL_LENGTH, extra_json_schema=documented_email(minLength=3))
]
Currency = Annotated[
    str,
    msgspec.Meta(
        max_length=CURRENCY_INPUT_LENGTH,
        extra_json_schema={"description": "An ISO 4217 code, in any case.", "examples": ["EUR"]},
    ),
]
Money = Annotated[
    Decimal,
    msgspec.Meta(
        extra_json_schema={
            "description": f"A decimal string (a JSON number is accepted too) with at most 2 "
            f"decimal places, from 0 to {MAX_AMOUNT}.",
            "examples": ["19.99"],
        }
    ),
]
Quantity = Annotated[int, msgspec.Meta(ge=1, le=MAX_QUANTITY)]


class OrderItemRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=True, frozen=True):
    """One line of an order."""

    sku: Sku
    quantity: Quantity
    unit_price: Money
    name: Name | None = None


class OrderRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=True, frozen=True):
    """The body of POST /api/v1/orders. A totalAmount, if given, must match the items.
    The whole order, normalised and encoded as JSON, must fit in 250 KiB."""

    customer_id: CustomerId
    customer_email: EmailAddress
    currency: Currency
    items: Annotated[list[OrderItemRequest], msgspec.Meta(min_length=1, max_length=MAX_ITEMS)]
    total_amount: Money | None = None
    customer_name: Name | None = None


# The one decoder of an order request, whoever sends it: the API's body or a file's order.
ORDER_REQUEST_DECODER = msgspec.json.Decoder(OrderRequest)
# A CSV row's cells are text: numbers are read from it.
_CELLS = data_conversion(strict=False)
# A number's text in a cell, in ASCII digits; long enough for any quantity, short enough
# that reading it is cheap (a longer cell is left to the decoder, which refuses it).
_NUMBER_TEXT = re.compile(
    r"[+-]?(?:[0-9]{1,20}(?:\.[0-9]{0,20})?|\.[0-9]{1,20})(?:[eE][+-]?[0-9]{1,2})?"
)


def decode_order_request(data: bytes | Mapping[str, Any]) -> OrderRequest:
    """One order request: JSON bytes (the body of POST /api/v1/orders, a file's order),
    or a mapping of text cells (a CSV row), whose numbers are read from their text.

    A request that does not fit raises ValidationFailed naming every problem (see
    order_request_errors); bytes that are not JSON at all raise msgspec.DecodeError.
    """
    if not isinstance(data, bytes):
        data = _exact_quantities(data)
    try:
        if isinstance(data, bytes):
            return ORDER_REQUEST_DECODER.decode(data)
        return msgspec.convert(data, OrderRequest, strict=False)
    except msgspec.ValidationError as exc:
        first = [field_error(str(exc))]
        raise ValidationFailed(order_request_errors(data, first=first)) from exc


def _exact_quantities(cells: Mapping[str, Any]) -> Mapping[str, Any]:
    """The items' quantity cells read exactly. msgspec reads an integer from text through
    a float, which takes 2.0000000000000001 for 2; here a cell that is a number is a whole
    one (2, 2.0, 2e0) or a decimal, which the decoder refuses as no integer."""
    items = cells.get("items")
    if not isinstance(items, list):
        return cells
    return {**cells, "items": [_exact_quantity(item) for item in items]}


def _exact_quantity(item: Any) -> Any:
    text = item.get("quantity") if isinstance(item, Mapping) else None
    if not isinstance(text, str) or not _NUMBER_TEXT.fullmatch(text):
        return item  # not a number's text: the decoder says so
    number = Decimal(text)
    whole = number == number.to_integral_value()
    return {**item, "quantity": int(number) if whole else number}


def order_request_errors(
    data: bytes | Mapping[str, Any], *, first: list[FieldError]
) -> list[FieldError]:
    """Every problem of a request the decoder refused, naming `first`: each field's own
    (every item's too), then the order rules' of what did decode.

    Only for a refused request: the decoder, which stops at its first problem, is what
    accepts one, so looking for every problem never changes which orders are accepted.
    """
    conversion = JSON_CONVERSION if isinstance(data, bytes) else _CELLS
    converted = convert_each_field(data, OrderRequest, conversion)
    errors = converted.errors
    _rule_errors(converted.fields, errors)
    # Never none: the decoder's own problem, should converting field by field find none.
    return errors or first


class OrderItem(msgspec.Struct, frozen=True, kw_only=True):
    sku: str
    name: str | None
    quantity: int
    unit_price: Decimal
    line_total: Decimal


class Order(msgspec.Struct, frozen=True, kw_only=True):
    order_id: uuid.UUID
    tenant_id: str
    customer_id: str
    customer_email: str
    customer_name: str | None
    currency: str
    items: tuple[OrderItem, ...]
    total_amount: Decimal
    submitted_at: datetime


def normalise_order(
    request: OrderRequest, *, order_id: uuid.UUID, tenant_id: str, submitted_at: datetime
) -> Order:
    """Trim, canonicalise and check an order; every broken rule is reported at once."""
    errors: list[FieldError] = []
    customer_id, customer_email, currency, customer_name = _struct_through_rules(
        _ORDER_RULES, request, at="", errors=errors
    )
    lines = [_item(index, item, errors) for index, item in enumerate(request.items)]
    total = _total(
        request.total_amount, [None if line is None else line.line_total for line in lines], errors
    )
    if errors:
        raise ValidationFailed(errors)
    # No error: every line has its amount.
    items = cast("tuple[OrderItem, ...]", tuple(lines))
    order = Order(
        order_id=order_id,
        tenant_id=tenant_id,
        customer_id=customer_id,
        customer_email=customer_email,
        customer_name=customer_name,
        currency=currency,
        items=items,
        total_amount=total,
        submitted_at=submitted_at,
    )
    _check_size(order)
    return order


def _check_size(order: Order) -> None:
    """Refuse an order too large to publish or to keep in the read model (a 4xx now,
    rather than an accepted order no store can take). Encoded only when its bound, from
    the widths alone, could pass the limit: an order of a few items never can."""
    if encoded_size_bound(order) <= MAX_ORDER_BYTES:
        return
    size = len(msgspec.json.encode(order))
    if size > MAX_ORDER_BYTES:
        message = f"the order is too large: {size} bytes encoded, at most {MAX_ORDER_BYTES}"
        raise ValidationFailed([FieldError("items", message)])


# The most bytes an accepted character encodes to: UTF-8's 4 (the text rules refuse every
# character that JSON escapes as \uXXXX, and a quote or backslash takes 2).
_CHAR_BYTES = 4


def _widest_bytes() -> tuple[int, int]:
    """Bounds of an accepted order's encoding: all but its tenant id and items, and each
    item with its separator. Each text at its width in characters of _CHAR_BYTES bytes,
    each number at its widest; the tenant id, whose width no type bounds, is counted
    apart, by its length."""
    wide = "\U0001f4e6"
    widest_amount = -MAX_AMOUNT * MAX_QUANTITY * MAX_ITEMS - Decimal("0.01")
    item = OrderItem(
        sku=wide * SKU_LENGTH,
        name=wide * NAME_LENGTH,
        quantity=-MAX_QUANTITY,
        unit_price=widest_amount,
        line_total=widest_amount,
    )
    head = Order(
        order_id=uuid.UUID(int=0),
        tenant_id="",
        customer_id=wide * CUSTOMER_ID_LENGTH,
        customer_email=wide * EMAIL_LENGTH,
        customer_name=wide * NAME_LENGTH,
        currency=wide * CURRENCY_INPUT_LENGTH,
        items=(),
        total_amount=widest_amount,
        submitted_at=datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=_WIDEST_OFFSET),
    )
    return len(msgspec.json.encode(head)), len(msgspec.json.encode(item)) + len(b",")


_WIDEST_OFFSET = timezone(-timedelta(hours=23, minutes=59))
_HEAD_BYTES, _ITEM_BYTES = _widest_bytes()


def encoded_size_bound(order: Order) -> int:
    """At least the bytes of the JSON encoding of `order`, if its texts are accepted ones
    (no control character), from the widths of its fields and its number of items."""
    return _HEAD_BYTES + _CHAR_BYTES * len(order.tenant_id) + _ITEM_BYTES * len(order.items)


def _item(index: int, item: OrderItemRequest, errors: list[FieldError]) -> OrderItem | None:
    """The line checked; None when its price breaks a rule (it then has no amount)."""
    unit_price, sku, name = _struct_through_rules(
        _ITEM_RULES, item, at=f"items[{index}].", errors=errors
    )
    if unit_price is None:
        return None
    return OrderItem(
        sku=sku,
        name=name,
        quantity=item.quantity,
        unit_price=unit_price,
        line_total=unit_price * item.quantity,
    )


def _rule_errors(fields: Mapping[str, Any], errors: list[FieldError]) -> None:
    """The rules of what decoded of a refused request (`fields` by attribute name; an
    item is what decoded of it, or None): each field's that is there, then the total's
    when every line's amount is known."""
    _mapping_through_rules(_ORDER_RULES, fields, at="", errors=errors)
    items = fields.get("items")
    line_totals = [_line_total(index, item, errors) for index, item in enumerate(items or ())]
    _total(fields.get("total_amount"), None if items is None else line_totals, errors)


def _line_total(
    index: int, item: Mapping[str, Any] | OrderItemRequest | None, errors: list[FieldError]
) -> Decimal | None:
    if item is None:
        return None
    if isinstance(item, OrderItemRequest):
        line = _item(index, item, errors)
        return None if line is None else line.line_total
    unit_price, _, _ = _mapping_through_rules(
        _ITEM_RULES, item, at=f"items[{index}].", errors=errors
    )
    quantity = item.get("quantity")
    return None if unit_price is None or quantity is None else unit_price * quantity


def _struct_through_rules(
    rules: _Rules, struct: msgspec.Struct, *, at: str, errors: list[FieldError]
) -> list[Any]:
    """Each field through its rule, in the rules' order (the order errors are reported in)."""
    return [rule(at + spelt, getattr(struct, name), errors) for name, spelt, rule in rules]


def _mapping_through_rules(
    rules: _Rules, fields: Mapping[str, Any], *, at: str, errors: list[FieldError]
) -> list[Any]:
    """The same, for the fields a mapping holds (None for one it lacks)."""
    return [
        rule(at + spelt, fields[name], errors) if name in fields else None
        for name, spelt, rule in rules
    ]


def _total(
    claimed: Decimal | None, line_totals: list[Decimal | None] | None, errors: list[FieldError]
) -> Decimal:
    """The sum of the lines; a totalAmount sent must be it. Compared, and bounded, only
    when every line's amount is known."""
    amount = None if claimed is None else _money("totalAmount", claimed, errors)
    total = Decimal("0.00")
    for line_total in line_totals or (None,):
        if line_total is None:
            return total  # not the order's total: its lines are in error already
        total += line_total
    if amount is not None and amount != total:
        errors.append(FieldError("totalAmount", f"is {amount} but the items add up to {total}"))
    if total > MAX_AMOUNT:
        errors.append(FieldError("totalAmount", f"must not exceed {MAX_AMOUNT}"))
    return total


def _text(field: str, value: str, errors: list[FieldError]) -> str:
    trimmed = value.strip()
    problem = refuse_control_characters(field, trimmed)
    if problem is not None:
        errors.append(problem)
    return trimmed


def _required_text(field: str, value: str, errors: list[FieldError]) -> str:
    trimmed = _text(field, value, errors)
    if not trimmed:
        errors.append(FieldError(field, "must not be blank"))
    return trimmed


def _identifier(field: str, value: str, errors: list[FieldError], *, width: int) -> str:
    found = len(errors)
    trimmed = composed(_required_text(field, value, errors))
    problem = refuse_format_characters(field, trimmed)
    # Composing can lengthen text (a few characters compose to three): the column's
    # width is checked again on what is stored, else PostgreSQL would refuse it later.
    if problem is None and len(trimmed) > width:
        problem = FieldError(field, f"must be at most {width} characters once NFC-normalised")
    if problem is not None and len(errors) == found:  # one problem per field
        errors.append(problem)
    return trimmed


def _optional_text(field: str, value: str | None, errors: list[FieldError]) -> str | None:
    if value is None:
        return None
    # Blank is no value.
    return _text(field, value, errors) or None


def _email(field: str, value: str, errors: list[FieldError]) -> str:
    if not value.strip():
        errors.append(FieldError(field, "must not be blank"))
        return ""
    try:
        return to_email_address(value)
    except ValueError as exc:
        errors.append(FieldError(field, str(exc)))
        return value


def _currency(field: str, value: str, errors: list[FieldError]) -> str:
    try:
        return to_currency(value)
    except ValueError as exc:
        errors.append(FieldError(field, str(exc)))
        return value


def _money(field: str, value: Decimal, errors: list[FieldError]) -> Decimal | None:
    """The amount, or None when it breaks a rule (it then adds to no total)."""
    try:
        amount = to_money(value)
    except ValueError as exc:
        errors.append(FieldError(field, str(exc)))
        return None
    if amount < 0 or amount > MAX_AMOUNT:
        errors.append(FieldError(field, f"must be between 0 and {MAX_AMOUNT}"))
        return None
    return amount


_Rule = Callable[[str, Any, list[FieldError]], Any]
# Each rule's field: its attribute, its name as the request spells it, its rule.
_Rules = tuple[tuple[str, str, _Rule], ...]


def _rules(struct_type: type[msgspec.Struct], rules: Mapping[str, _Rule]) -> _Rules:
    """Each rule's field with the name the request spells it (as msgspec encodes it)."""
    spelt = {field.name: field.encode_name for field in msgspec.structs.fields(struct_type)}
    return tuple((name, spelt[name], rule) for name, rule in rules.items())


# Checked in this order, so that the errors are reported in it (normalise_order and _item
# unpack them in it); a field with no rule here (an item's quantity) is whole once decoded.
_ORDER_RULES = _rules(
    OrderRequest,
    {
        "customer_id": partial(_identifier, width=CUSTOMER_ID_LENGTH),
        "customer_email": _email,
        "currency": _currency,
        "customer_name": _optional_text,
    },
)
_ITEM_RULES = _rules(
    OrderItemRequest,
    {"unit_price": _money, "sku": partial(_identifier, width=SKU_LENGTH), "name": _optional_text},
)
