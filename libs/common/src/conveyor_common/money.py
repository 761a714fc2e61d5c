"""Money and currency rules shared by every service."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import pycountry

CENT = Decimal("0.01")


def to_money(value: Decimal) -> Decimal:
    """Two decimal places; a value with sub-cent precision is rejected, not rounded."""
    try:
        quantized = value.quantize(CENT)
    except InvalidOperation as exc:
        raise ValueError("is not a valid amount") from exc
    if quantized != value or not quantized.is_finite():
        raise ValueError("must have at most 2 decimal places")
    return quantized


def to_currency(code: str) -> str:
    """An ISO 4217 alphabetic code, upper-cased."""
    normalised = code.strip().upper()
    if len(normalised) != 3 or pycountry.currencies.get(alpha_3=normalised) is None:
        raise ValueError(f"{code.strip()!r} is not an ISO 4217 currency code")
    return normalised
