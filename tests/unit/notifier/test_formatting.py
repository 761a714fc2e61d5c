from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from conveyor_notifier.formatting import count, file_size, money, one_line, timestamp


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (Decimal("1234.5"), "USD", "1234.50 USD"),
        (Decimal("0"), "EUR", "0.00 EUR"),
        (Decimal("7.25"), "GBP", "7.25 GBP"),
    ],
)
def test_money_has_two_decimals_and_the_currency_code(
    amount: Decimal, currency: str, expected: str
) -> None:
    assert money(amount, currency) == expected


@pytest.mark.parametrize(
    ("size_bytes", "expected"),
    [
        (0, "0 B"),
        (999, "999 B"),
        (1_000, "1.0 kB"),
        (1_500, "1.5 kB"),
        (12_345_678, "12.3 MB"),
        # Rounding up to 1000 of a unit moves to the next unit.
        (999_960, "1.0 MB"),
        (999_949, "999.9 kB"),
        (4_200_000_000, "4.2 GB"),
        (3 * 10**18, "3000.0 PB"),
    ],
)
def test_file_size_uses_decimal_units_with_one_decimal(size_bytes: int, expected: str) -> None:
    assert file_size(size_bytes) == expected


def test_count_groups_thousands() -> None:
    assert (count(7), count(12_345), count(2_000_000)) == ("7", "12,345", "2,000,000")


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2024, 5, 17, 11, 30, tzinfo=timezone(timedelta(hours=2))),
        datetime(2024, 5, 17, 9, 30, tzinfo=UTC),
        datetime(2024, 5, 17, 9, 30),  # naive times on the wire mean UTC
    ],
)
def test_timestamp_is_shown_in_utc(moment: datetime) -> None:
    assert timestamp(moment) == "2024-05-17 09:30 UTC"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("orders.csv", "orders.csv"),
        ("  Q1\r\nBcc: x@example.com\t", "Q1 Bcc: x@example.com"),
        ("a \u2028 b", "a b"),
        ("   ", ""),
    ],
)
def test_one_line_collapses_every_run_of_whitespace(text: str, expected: str) -> None:
    assert one_line(text) == expected
