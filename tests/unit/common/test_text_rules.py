"""The text rules every edge applies, and how they agree with what they document."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from conveyor_common.money import MONEY_PRECISION, MONEY_SCALE, to_money
from conveyor_common.orders import MAX_AMOUNT
from conveyor_common.text import (
    MULTI_LINE_PATTERN,
    SINGLE_LINE_PATTERN,
    refuse_control_characters,
    refuse_format_characters,
    to_email_address,
)

# What PostgreSQL, XML (XLSX, WeasyPrint) or a one-line subject refuses.
REFUSED_ANYWHERE = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1f", "\x7f", "\x85", "\x9f"]
REFUSED_ANYWHERE += ["\ufffe", "\uffff", "\ud800", "\udfff"]
LINE_BREAKS_AND_TAB = ["\t", "\n", "\r", "\u2028", "\u2029"]


@pytest.mark.parametrize("char", REFUSED_ANYWHERE + LINE_BREAKS_AND_TAB)
def test_single_line_text_refuses_controls_and_line_breaks_naming_the_field(char: str) -> None:
    error = refuse_control_characters("customerName", f"ab{char}c")

    assert error is not None
    assert error.field == "customerName"
    assert f"U+{ord(char):04X} at position 2" in error.message


@pytest.mark.parametrize("char", REFUSED_ANYWHERE)
def test_multi_line_text_refuses_controls(char: str) -> None:
    assert refuse_control_characters("note", f"a{char}", multi_line=True) is not None


@pytest.mark.parametrize("char", LINE_BREAKS_AND_TAB)
def test_multi_line_text_allows_tab_and_line_breaks(char: str) -> None:
    assert refuse_control_characters("note", f"a{char}b", multi_line=True) is None


@pytest.mark.parametrize(
    "text", ["", " ", "Zoë", "山田", "\u00a0", "\u200d", "👩‍👩‍👧", "\U0010fffd", "\ufffd", "€"]
)
def test_other_text_is_accepted(text: str) -> None:
    assert refuse_control_characters("name", text) is None


# Zero widths (space, non-joiner, joiner, no-break), bidirectional marks, overrides and
# isolates, the soft hyphen, an Arabic number sign, a tag character.
FORMAT_CHARACTERS = ["\u200b", "\u200c", "\u200d", "\ufeff", "\u200e", "\u202e", "\u2066"]
FORMAT_CHARACTERS += ["\u00ad", "\u0600", "\U000e0041"]


@pytest.mark.parametrize("char", FORMAT_CHARACTERS)
def test_identifiers_refuse_invisible_format_characters_naming_where(char: str) -> None:
    error = refuse_format_characters("sku", f"AB{char}C")

    assert error is not None
    assert error.field == "sku"
    assert f"U+{ord(char):04X} at position 2" in error.message


@pytest.mark.parametrize("text", ["SKU-1", "Zoë", "山田-7", "\u00a0x", "€", "👩", "a\u0301"])
def test_identifiers_keep_visible_text(text: str) -> None:
    assert refuse_format_characters("sku", text) is None


@pytest.mark.parametrize(
    ("pattern", "multi_line"), [(SINGLE_LINE_PATTERN, False), (MULTI_LINE_PATTERN, True)]
)
def test_the_documented_pattern_says_what_the_rule_enforces(pattern: str, multi_line: bool) -> None:
    documented = re.compile(pattern)
    # every code point of the Basic Multilingual Plane and the first one past it
    for code in [*range(0xD800), *range(0xE000, 0x10000), 0x10000, 0x10FFFF]:
        char = chr(code)
        allowed = refuse_control_characters("f", f"a{char}b", multi_line=multi_line) is None
        assert bool(documented.search(f"a{char}b")) == allowed, hex(code)


@pytest.mark.parametrize(
    ("raw", "address"),
    [
        (" Jane.Doe@Example.COM ", "jane.doe@example.com"),
        ("o'brien+tag@mail.example.co.uk", "o'brien+tag@mail.example.co.uk"),
        ("x@xn--bcher-kva.example", "x@xn--bcher-kva.example"),
        ("a@127.0.0.1", "a@127.0.0.1"),
    ],
)
def test_addresses_are_trimmed_and_lower_cased(raw: str, address: str) -> None:
    assert to_email_address(raw) == address


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "plain",
        "@example.com",
        "a@",
        "a@localhost",
        "a b@example.com",
        "a\x00b@example.com",
        "a@exa\x7fmple.com",
        "josé@example.com",
        "a@exämple.com",
        ".a@example.com",
        "a.@example.com",
        "a..b@example.com",
        "a@b@example.com",
        "a@-example.com",
        "a@example-.com",
        "a@example..com",
        '"quoted"@example.com',
        "a,b@example.com",
        "<a@example.com>",
        "x" * 65 + "@example.com",
        "a@" + "b" * 64 + ".com",
        "a@" + "b." * 126 + "com",
    ],
)
def test_addresses_ses_cannot_send_to_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="is not a valid e-mail address"):
        to_email_address(raw)


def test_money_refuses_what_is_no_amount() -> None:
    for raw in ["NaN", "sNaN", "Infinity", "-Infinity", "1E+999999999", "9" * 100]:
        with pytest.raises(ValueError, match="is not a valid amount"):
            to_money(Decimal(raw))
    with pytest.raises(ValueError, match="2 decimal places"):
        to_money(Decimal("1E-999999999"))


def test_negative_zero_is_zero() -> None:
    assert str(to_money(Decimal("-0"))) == "0.00"
    assert str(to_money(Decimal("-0.00"))) == "0.00"


def test_the_largest_amount_fits_the_money_columns() -> None:
    assert MAX_AMOUNT < 10 ** (MONEY_PRECISION - MONEY_SCALE)
