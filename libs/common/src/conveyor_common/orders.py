"""Orders: the request a caller sends and the normalised order everyone else sees.

The request types carry the bounds the order tables have (the processor's models
use the same constants); `normalise_order` applies the rules no type can say:
trimming, blank and control-character checks, e-mail, currency and money.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, NamedTuple

import msgspec

from conveyor_common.errors import FieldError, ValidationFailed, field_error
from conveyor_common.money import CURRENCY_INPUT_LENGTH, to_currency, to_money
from conveyor_common.text import (
    EMAIL_LENGTH,
    documented_email,
    documented_text,
    refuse_control_characters,
    to_email_address,
)

MAX_ITEMS = 500
MAX_QUANTITY = 100_000
MAX_AMOUNT = Decimal("1000000000")
# Widths of the order tables' text columns: the processor's models use these.
CUSTOMER_ID_LENGTH = 128
NAME_LENGTH = 256
SKU_LENGTH = 64

CustomerId = Annotated[
    str,
    msgspec.Meta(
        max_length=CUSTOMER_ID_LENGTH,
        extra_json_schema=documented_text(minLength=1, description="Trimmed; not blank."),
    ),
]
Sku = Annotated[
    str,
    msgspec.Meta(
        max_length=SKU_LENGTH,
        extra_json_schema=documented_text(minLength=1, description="Trimmed; not blank."),
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
    """The body of POST /api/v1/orders. A totalAmount, if given, must match the items."""

    customer_id: CustomerId
    customer_email: EmailAddress
    currency: Currency
    items: Annotated[list[OrderItemRequest], msgspec.Meta(min_length=1, max_length=MAX_ITEMS)]
    total_amount: Money | None = None
    customer_name: Name | None = None


# The one decoder of an order request, whoever sends it: the API's body or a file's order.
ORDER_REQUEST_DECODER = msgspec.json.Decoder(OrderRequest)


def decode_order_request(data: bytes | Mapping[str, Any]) -> OrderRequest:
    """One order request: JSON bytes (the body of POST /api/v1/orders, a file's order),
    or a mapping of text cells (a CSV row), whose numbers are read from their text.

    A request that does not fit raises ValidationFailed naming the field; bytes that
    are not JSON at all raise msgspec.DecodeError.
    """
    try:
        if isinstance(data, bytes):
            return ORDER_REQUEST_DECODER.decode(data)
        return msgspec.convert(data, OrderRequest, strict=False)
    except msgspec.ValidationError as exc:
        raise ValidationFailed([field_error(str(exc))]) from exc


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
    heading = _heading(request, errors)
    items = tuple(_item(index, item, errors) for index, item in enumerate(request.items))
    total = _total(request.total_amount, items, errors)
    if errors:
        raise ValidationFailed(errors)
    return Order(
        order_id=order_id,
        tenant_id=tenant_id,
        customer_id=heading.customer_id,
        customer_email=heading.customer_email,
        customer_name=heading.customer_name,
        currency=heading.currency,
        items=items,
        total_amount=total,
        submitted_at=submitted_at,
    )


class _Heading(NamedTuple):
    """An order's own fields, apart from its lines and its total."""

    customer_id: str
    customer_email: str
    currency: str
    customer_name: str | None


def _heading(request: OrderRequest, errors: list[FieldError]) -> _Heading:
    # Checked in this order, so that the errors are reported in it.
    return _Heading(
        customer_id=_required_text("customerId", request.customer_id, errors),
        customer_email=_email("customerEmail", request.customer_email, errors),
        currency=_currency(request.currency, errors),
        customer_name=_optional_text("customerName", request.customer_name, errors),
    )


def _item(index: int, item: OrderItemRequest, errors: list[FieldError]) -> OrderItem:
    at = f"items[{index}]"
    unit_price = _money(f"{at}.unitPrice", item.unit_price, errors)
    return OrderItem(
        sku=_required_text(f"{at}.sku", item.sku, errors),
        name=_optional_text(f"{at}.name", item.name, errors),
        quantity=item.quantity,
        unit_price=unit_price,
        line_total=unit_price * item.quantity,
    )


def _total(
    claimed: Decimal | None, items: tuple[OrderItem, ...], errors: list[FieldError]
) -> Decimal:
    total = sum((item.line_total for item in items), Decimal("0.00"))
    if claimed is not None:
        _check_claimed_total(claimed, total, errors)
    if total > MAX_AMOUNT:
        errors.append(FieldError("totalAmount", f"must not exceed {MAX_AMOUNT}"))
    return total


def _check_claimed_total(claimed: Decimal, total: Decimal, errors: list[FieldError]) -> None:
    """A totalAmount sent must be the sum of the lines; compared only when all else holds."""
    amount = _money("totalAmount", claimed, errors)
    if errors:
        return
    if amount != total:
        errors.append(FieldError("totalAmount", f"is {amount} but the items add up to {total}"))


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


def _currency(value: str, errors: list[FieldError]) -> str:
    try:
        return to_currency(value)
    except ValueError as exc:
        errors.append(FieldError("currency", str(exc)))
        return value


def _money(field: str, value: Decimal, errors: list[FieldError]) -> Decimal:
    try:
        amount = to_money(value)
    except ValueError as exc:
        errors.append(FieldError(field, str(exc)))
        return Decimal(0)
    if amount < 0 or amount > MAX_AMOUNT:
        errors.append(FieldError(field, f"must be between 0 and {MAX_AMOUNT}"))
    return amount
