"""Orders: the request a caller sends and the normalised order everyone else sees."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

import msgspec

from conveyor_common.errors import FieldError, ValidationFailed
from conveyor_common.money import to_currency, to_money

MAX_ITEMS = 500
MAX_QUANTITY = 100_000
MAX_AMOUNT = Decimal("1000000000")
_EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s.\x00-\x1f\x7f]+$")

Text = Annotated[str, msgspec.Meta(max_length=256)]


class OrderItemRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=True, frozen=True):
    sku: Annotated[str, msgspec.Meta(max_length=64)]
    quantity: Annotated[int, msgspec.Meta(ge=1, le=MAX_QUANTITY)]
    unit_price: Decimal
    name: Text | None = None


class OrderRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=True, frozen=True):
    customer_id: Annotated[str, msgspec.Meta(max_length=128)]
    customer_email: Annotated[str, msgspec.Meta(max_length=254)]
    currency: Annotated[str, msgspec.Meta(max_length=8)]
    items: Annotated[list[OrderItemRequest], msgspec.Meta(min_length=1, max_length=MAX_ITEMS)]
    total_amount: Decimal | None = None
    customer_name: Text | None = None


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

    def required_text(field: str, value: str) -> str:
        trimmed = value.strip()
        if not trimmed:
            errors.append(FieldError(field, "must not be blank"))
        return trimmed

    def money(field: str, value: Decimal) -> Decimal:
        try:
            amount = to_money(value)
        except ValueError as exc:
            errors.append(FieldError(field, str(exc)))
            return Decimal(0)
        if amount < 0 or amount > MAX_AMOUNT:
            errors.append(FieldError(field, f"must be between 0 and {MAX_AMOUNT}"))
        return amount

    customer_id = required_text("customerId", request.customer_id)
    email = required_text("customerEmail", request.customer_email).lower()
    if email and not _EMAIL.match(email):
        errors.append(FieldError("customerEmail", "is not a valid e-mail address"))
    try:
        currency = to_currency(request.currency)
    except ValueError as exc:
        errors.append(FieldError("currency", str(exc)))
        currency = request.currency

    items: list[OrderItem] = []
    for index, item in enumerate(request.items):
        unit_price = money(f"items[{index}].unitPrice", item.unit_price)
        name = item.name.strip() if item.name else None
        items.append(
            OrderItem(
                sku=required_text(f"items[{index}].sku", item.sku),
                name=name or None,
                quantity=item.quantity,
                unit_price=unit_price,
                line_total=unit_price * item.quantity,
            )
        )
    total = sum((item.line_total for item in items), Decimal("0.00"))
    if request.total_amount is not None:
        claimed = money("totalAmount", request.total_amount)
        if not errors and claimed != total:
            errors.append(
                FieldError("totalAmount", f"is {claimed} but the items add up to {total}")
            )
    if total > MAX_AMOUNT:
        errors.append(FieldError("totalAmount", f"must not exceed {MAX_AMOUNT}"))
    if errors:
        raise ValidationFailed(errors)

    name = request.customer_name.strip() if request.customer_name else None
    return Order(
        order_id=order_id,
        tenant_id=tenant_id,
        customer_id=customer_id,
        customer_email=email,
        customer_name=name or None,
        currency=currency,
        items=tuple(items),
        total_amount=total,
        submitted_at=submitted_at,
    )
