"""Money and currency rules shared by every service."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import pycountry

CENT = Decimal("0.01")
# Amounts are stored as NUMERIC(14, 2): at most 12 digits before the point.
MONEY_PRECISION = 14
MONEY_SCALE = 2
# Longest input currency code accepted before trimming; ISO 4217 codes are 3 letters.
CURRENCY_INPUT_LENGTH = 8


def to_money(value: Decimal) -> Decimal:
    """Two decimal places; a value with sub-cent precision is rejected, not rounded."""
    if not value.is_finite():
        raise ValueError("is not a valid amount")
    try:
        quantized = value.quantize(CENT)
    except InvalidOperation as exc:
        raise ValueError("is not a valid amount") from exc
    if quantized != value:
        raise ValueError("must have at most 2 decimal places")
    # "-0" is zero: no negative zero reaches the events, e-mails or files.
    return quantized.copy_abs() if quantized.is_zero() else quantized


def to_currency(code: str) -> str:
    """An ISO 4217 alphabetic code, upper-cased."""
    normalised = code.strip().upper()
    if len(normalised) != 3 or pycountry.currencies.get(alpha_3=normalised) is None:
        raise ValueError(f"{code.strip()!r} is not an ISO 4217 currency code")
    return normalised
