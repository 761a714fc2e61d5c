"""How figures and names read in e-mails: money, moments, counts, file sizes, one-line text."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from conveyor_common.money import CENT

# Decimal (SI) units, as browsers and operating systems show download sizes.
BYTES_PER_KILOBYTE = 1_000
_SIZE_UNITS = ("kB", "MB", "GB", "TB", "PB")


def money(amount: Decimal, currency: str) -> str:
    return f"{amount.quantize(CENT)} {currency}"


def timestamp(moment: datetime) -> str:
    # A naive time on the wire can only have meant UTC.
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def count(number: int) -> str:
    return f"{number:,}"


def file_size(size_bytes: int) -> str:
    """A size with one decimal in the largest unit below 1000 of it, e.g. "12.3 MB"."""
    if size_bytes < BYTES_PER_KILOBYTE:
        return f"{size_bytes} B"
    value = size_bytes / BYTES_PER_KILOBYTE
    for unit in _SIZE_UNITS[:-1]:
        # Compare the rounded figure, so 999,999 bytes reads "1.0 MB", not "1000.0 kB".
        if round(value, 1) < BYTES_PER_KILOBYTE:
            return f"{value:.1f} {unit}"
        value /= BYTES_PER_KILOBYTE
    return f"{value:.1f} {_SIZE_UNITS[-1]}"


def one_line(text: str) -> str:
    """The text with every run of whitespace, line breaks included, as one space: a
    user-provided name cannot add lines to a subject."""
    return " ".join(text.split())
