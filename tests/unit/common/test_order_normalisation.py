from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conveyor_common.errors import ValidationFailed
from conveyor_common.orders import (
    CUSTOMER_ID_LENGTH,
    MAX_AMOUNT,
    MAX_ITEMS,
    MAX_ORDER_BYTES,
    MAX_QUANTITY,
    NAME_LENGTH,
    SKU_LENGTH,
    Order,
    OrderItem,
    OrderRequest,
    decode_order_request,
    encoded_size_bound,
    normalise_order,
)
from conveyor_common.text import EMAIL_LENGTH, refuse_control_characters

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def normalise(body: dict[str, Any]) -> Order:
    request = msgspec.convert(body, OrderRequest)
    return normalise_order(request, order_id=uuid.uuid4(), tenant_id="acme", submitted_at=NOW)


def a_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customerId": "c-1",
        "customerEmail": "buyer@example.com",
        "currency": "EUR",
        "items": [{"sku": "A", "quantity": 2, "unitPrice": "10.25"}],
    }
    return body | overrides


def failures(body: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        normalise(body)
    return {error.field: error.message for error in caught.value.errors}


def test_strings_are_trimmed_emails_lowered_and_currency_upper_cased() -> None:
    order = normalise(
        a_body(customerId="  c-9 ", customerEmail=" Ada@Example.COM ", currency=" usd ")
    )
    assert order.customer_id == "c-9"
    assert order.customer_email == "ada@example.com"
    assert order.currency == "USD"


def test_money_gets_two_places_and_the_total_is_recomputed() -> None:
    order = normalise(
        a_body(
            items=[
                {"sku": "A", "quantity": 3, "unitPrice": 1.5},
                {"sku": " B ", "name": " Pen ", "quantity": 1, "unitPrice": "2"},
            ]
        )
    )
    assert [str(item.unit_price) for item in order.items] == ["1.50", "2.00"]
    assert [str(item.line_total) for item in order.items] == ["4.50", "2.00"]
    assert str(order.total_amount) == "6.50"
    assert order.items[1].sku == "B"
    assert order.items[1].name == "Pen"


def test_a_matching_total_is_accepted_in_any_spelling() -> None:
    assert normalise(a_body(totalAmount=20.5)).total_amount == Decimal("20.50")


def test_a_total_that_does_not_match_the_items_is_rejected() -> None:
    assert failures(a_body(totalAmount="99.99")) == {
        "totalAmount": "is 99.99 but the items add up to 20.50"
    }


@pytest.mark.parametrize("currency", ["XXQ", "EURO", "", "12"])
def test_unknown_currencies_are_rejected(currency: str) -> None:
    assert "currency" in failures(a_body(currency=currency))


def test_sub_cent_and_negative_prices_are_rejected() -> None:
    errors = failures(
        a_body(
            items=[
                {"sku": "A", "quantity": 1, "unitPrice": "0.001"},
                {"sku": "B", "quantity": 1, "unitPrice": "-1"},
            ]
        )
    )
    assert errors["items[0].unitPrice"] == "must have at most 2 decimal places"
    assert errors["items[1].unitPrice"].startswith("must be between 0")


def test_every_broken_rule_is_reported_at_once() -> None:
    errors = failures(a_body(customerId="   ", customerEmail="not-an-email", currency="ZZZ"))
    assert set(errors) == {"customerId", "customerEmail", "currency"}


def test_schema_violations_are_caught_before_normalisation() -> None:
    with pytest.raises(msgspec.ValidationError, match="items"):
        msgspec.convert(a_body(items=[]), OrderRequest)
    with pytest.raises(msgspec.ValidationError, match="unknown field"):
        msgspec.convert(a_body(surprise=1), OrderRequest)


@pytest.mark.parametrize("email", ["a\x00b@example.com", "a@exa\x7fmple.com", "a b@example.com"])
def test_emails_with_control_characters_or_spaces_are_rejected(email: str) -> None:
    assert failures(a_body(customerEmail=email)) == {
        "customerEmail": "is not a valid e-mail address"
    }


def test_a_refused_request_names_each_fields_problem_then_the_rules_of_what_decoded() -> None:
    body = a_body(
        customerId=" ",
        customerEmail=5,
        currency="ZZZ",
        items=[{"sku": "A", "quantity": 0, "unitPrice": "1"}, {"sku": " ", "unitPrice": "1"}],
    )

    with pytest.raises(ValidationFailed) as caught:
        decode_order_request(msgspec.json.encode(body))

    assert [error.field for error in caught.value.errors] == [
        "customerEmail",
        "items[0].quantity",
        "items[1].quantity",
        "customerId",
        "currency",
        "items[1].sku",
    ]


def test_a_total_is_compared_whenever_every_line_is_known() -> None:
    assert failures(a_body(customerEmail="bad", totalAmount="1.00")) == {
        "customerEmail": "is not a valid e-mail address",
        "totalAmount": "is 1.00 but the items add up to 20.50",
    }


def wide_items(count: int) -> list[dict[str, Any]]:
    # Every text at its width, in 4-byte characters: the most bytes per item.
    return [
        {
            "sku": f"{n:04d}" + "\U0001f4e6" * 60,
            "name": "\U0001f4e6" * 256,
            "quantity": 1,
            "unitPrice": "1",
        }
        for n in range(count)
    ]


def test_an_order_too_large_to_publish_or_keep_is_refused_naming_its_size() -> None:
    # the field limits alone let 500 such items through: far over what SNS takes
    problems = failures(a_body(items=wide_items(MAX_ITEMS)))
    assert list(problems) == ["items"]
    assert f"at most {MAX_ORDER_BYTES}" in problems["items"]


def test_the_largest_order_that_fits_is_accepted_and_one_item_more_is_not() -> None:
    fits = max(n for n in range(1, MAX_ITEMS) if _fits(wide_items(n)))
    order = normalise(a_body(items=wide_items(fits)))
    assert len(msgspec.json.encode(order)) <= MAX_ORDER_BYTES
    assert not _fits(wide_items(fits + 1))


def _fits(items: list[dict[str, Any]]) -> bool:
    try:
        normalise(a_body(items=items))
    except ValidationFailed:
        return False
    return True


@pytest.mark.parametrize("char", ["\u200b", "\u202e", "\ufeff", "\u00ad"])
def test_ids_and_skus_refuse_invisible_format_characters_but_names_keep_them(char: str) -> None:
    body = a_body(customerId=f"c{char}1", customerName=f"Jo{char}e")
    body["items"] = [{"sku": f"{char}A", "quantity": 1, "unitPrice": "1.00", "name": f"x{char}"}]
    found = failures(body)

    assert set(found) == {"customerId", "items[0].sku"}
    assert f"U+{ord(char):04X} at position 1" in found["customerId"]
    assert f"U+{ord(char):04X} at position 0" in found["items[0].sku"]


def test_ids_and_skus_are_composed_so_an_accent_either_way_is_one_id() -> None:
    decomposed = "Cafe\u0301-1"  # e + combining acute
    body = a_body(customerId=decomposed, customerName=decomposed)
    body["items"] = [{"sku": decomposed, "quantity": 1, "unitPrice": "1.00"}]

    order = normalise(body)

    assert order.customer_id == order.items[0].sku == "Caf\u00e9-1"
    assert order.customer_name == decomposed  # names are kept as written


def test_an_id_that_composing_lengthens_past_its_column_is_refused() -> None:
    # U+FB2C composes to three characters: 128 of them fit the request, not the column.
    assert failures(a_body(customerId="\ufb2c" * 128)) == {
        "customerId": f"must be at most {CUSTOMER_ID_LENGTH} characters once NFC-normalised"
    }
    assert normalise(a_body(customerId="\ufb2c" * 42)).customer_id == "\u05e9\u05bc\u05c1" * 42


def test_an_id_with_a_control_character_gets_one_error() -> None:
    assert failures(a_body(customerId="a\x00\u200b")) == {
        "customerId": "must not contain control characters or line breaks "
        "(found U+0000 at position 1)"
    }


# Text the rules accept: no control character, line break or lone surrogate.
_ACCEPTED_TEXT = st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"))
_AMOUNTS = st.decimals(min_value=0, max_value=MAX_AMOUNT, places=2)


def _texts(width: int) -> st.SearchStrategy[str]:
    return st.text(_ACCEPTED_TEXT, min_size=1, max_size=width).filter(
        lambda text: refuse_control_characters("field", text) is None
    )


_ITEMS = st.builds(
    OrderItem,
    sku=_texts(SKU_LENGTH),
    name=st.none() | _texts(NAME_LENGTH),
    quantity=st.integers(1, MAX_QUANTITY),
    unit_price=_AMOUNTS,
    line_total=_AMOUNTS,
)
_ORDERS = st.builds(
    Order,
    order_id=st.uuids(),
    tenant_id=_texts(200),
    customer_id=_texts(CUSTOMER_ID_LENGTH),
    customer_email=_texts(EMAIL_LENGTH),
    customer_name=st.none() | _texts(NAME_LENGTH),
    currency=_texts(3),
    items=st.lists(_ITEMS, min_size=1, max_size=8).map(tuple),
    total_amount=_AMOUNTS,
    submitted_at=st.datetimes(timezones=st.timezones()),
)


@settings(max_examples=300, deadline=None)
@given(order=_ORDERS)
def test_the_size_bound_is_never_below_an_accepted_orders_encoding(order: Order) -> None:
    # The size rule encodes an order only when this bound passes the limit.
    assert len(msgspec.json.encode(order)) <= encoded_size_bound(order)
