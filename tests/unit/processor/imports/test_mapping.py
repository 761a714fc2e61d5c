"""A file's order becomes the stored Order by the API's rules, or each of its problems
is located and coded."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from conveyor_common.errors import FieldError
from conveyor_common.imports.model import RejectionCode, imported_order_id
from conveyor_common.orders import MAX_ITEMS, Order
from conveyor_processor.imports.csv_orders import csv_orders
from conveyor_processor.imports.json_orders import json_order
from conveyor_processor.imports.mapping import to_order
from conveyor_processor.imports.rejections import rejection_code

UPLOADED_AT = datetime(2026, 5, 1, 9, tzinfo=UTC)
HEADER = "orderId,customerId,customerEmail,currency,sku,itemName,quantity,unitPrice,totalAmount"


def csv_order(*rows: str) -> Order | list[tuple[int, str, RejectionCode]]:
    [read] = csv_orders(iter([HEADER + "\n", *(row + "\n" for row in rows)]))
    result = to_order(read, tenant_id="acme", uploaded_at=UPLOADED_AT)
    if isinstance(result, Order):
        return result
    return [(problem.line, problem.field, problem.code) for problem in result]


def test_a_good_csv_order_is_normalised_with_its_stable_id() -> None:
    order = csv_order(" A-1 ,c,Jane@Example.com,eur,S1,Widget,2,19.99,44.98", "A-1,,,,S2,,1,5,")
    assert isinstance(order, Order)
    assert order.order_id == imported_order_id("acme", "A-1")
    assert (order.customer_email, order.currency, order.total_amount) == (
        "jane@example.com",
        "EUR",
        Decimal("44.98"),
    )
    assert order.submitted_at == UPLOADED_AT
    assert [item.name for item in order.items] == ["Widget", None]


def test_an_order_reference_is_one_order_however_its_accents_came() -> None:
    composed_ref = csv_order("CAF\u00c9-1,c,e@x.io,EUR,S,,1,1.00,")
    decomposed_ref = csv_order("CAFE\u0301-1,c,e@x.io,EUR,S,,1,1.00,")

    assert isinstance(composed_ref, Order)
    assert isinstance(decomposed_ref, Order)
    assert (
        composed_ref.order_id == decomposed_ref.order_id == imported_order_id("acme", "CAF\u00c9-1")
    )


@pytest.mark.parametrize(
    ("cell", "quantity"), [("2", 2), ("+2", 2), ("2.0", 2), ("2e0", 2), ("1E3", 1000)]
)
def test_a_whole_number_cell_is_a_quantity_whatever_its_notation(cell: str, quantity: int) -> None:
    order = csv_order(f"A,c,e@x.io,EUR,S,,{cell},1.00,")
    assert isinstance(order, Order)
    assert order.items[0].quantity == quantity


@pytest.mark.parametrize(
    "cell", ["2.0000000000000001", "0.99999999999999999", "99999.999999999999", "1.5", "1_0"]
)
def test_a_quantity_cell_that_is_no_whole_number_is_never_rounded(cell: str) -> None:
    assert csv_order(f"A,c,e@x.io,EUR,S,,{cell},1.00,") == [
        (2, "quantity", RejectionCode.TYPE_ERROR)
    ]


def test_the_order_id_is_per_tenant() -> None:
    assert imported_order_id("acme", "A-1") != imported_order_id("globex", "A-1")


@pytest.mark.parametrize(
    ("rows", "problems"),
    [
        (["A,c,e@x.io,EUR,S,,1,1.00,5.00"], [(2, "totalAmount", RejectionCode.TOTAL_MISMATCH)]),
        (["A,c,e@x.io,ZZZ,S,,1,1.00,"], [(2, "currency", RejectionCode.UNKNOWN_CURRENCY)]),
        (["A,c,e@x.io,EUR,S,,x,1.00,"], [(2, "quantity", RejectionCode.TYPE_ERROR)]),
        (["A,c,e@x.io,EUR,S,,1,,"], [(2, "unitPrice", RejectionCode.MISSING_FIELD)]),
        (
            ["A,c,e@x.io,EUR,S,,1,1.00,", "A,c,e@x.io,EUR,S2,,0,1.00,"],
            [(3, "quantity", RejectionCode.CONSTRAINT_ERROR)],
        ),
        ([",c,e@x.io,EUR,S,,1,1.00,"], [(2, "orderId", RejectionCode.MISSING_FIELD)]),
        (
            ["A,c,bad,EUR,S,Na\x07me,1,1.001,"],
            [
                (2, "customerEmail", RejectionCode.CONSTRAINT_ERROR),
                (2, "unitPrice", RejectionCode.CONSTRAINT_ERROR),
                (2, "itemName", RejectionCode.CONSTRAINT_ERROR),
            ],
        ),
        (
            ["A\u200b,c\u202e,e@x.io,EUR,\ufeffS,Jo\u200de,1,1.00,"],
            [
                (2, "orderId", RejectionCode.CONSTRAINT_ERROR),
                (2, "customerId", RejectionCode.CONSTRAINT_ERROR),
                (2, "sku", RejectionCode.CONSTRAINT_ERROR),
            ],
        ),
    ],
)
def test_each_problem_is_located_and_coded(
    rows: list[str], problems: list[tuple[int, str, RejectionCode]]
) -> None:
    assert csv_order(*rows) == problems


def test_a_json_order_problem_keeps_its_path_and_the_orders_position() -> None:
    read = json_order(4, {"orderId": "A", "customerId": "c", "unknown": 1}, values="{}")
    result = to_order(read, tenant_id="acme", uploaded_at=UPLOADED_AT)
    assert isinstance(result, list)
    assert [(p.line, p.field, p.code) for p in result] == [
        (4, "unknown", RejectionCode.UNKNOWN_FIELD),
        (4, "customerEmail", RejectionCode.MISSING_FIELD),
        (4, "currency", RejectionCode.MISSING_FIELD),
        (4, "items", RejectionCode.MISSING_FIELD),
    ]


def test_an_order_id_that_is_no_text_is_a_type_error() -> None:
    read = json_order(1, {"orderId": 5}, values="{}")
    result = to_order(read, tenant_id="acme", uploaded_at=UPLOADED_AT)
    assert isinstance(result, list)
    assert (result[0].field, result[0].code) == ("orderId", RejectionCode.TYPE_ERROR)


def test_an_order_id_too_long_is_a_constraint_error() -> None:
    read = json_order(1, {"orderId": "x" * 65}, values="{}")
    result = to_order(read, tenant_id="acme", uploaded_at=UPLOADED_AT)
    assert isinstance(result, list)
    assert (result[0].field, result[0].code) == ("orderId", RejectionCode.CONSTRAINT_ERROR)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (FieldError("items", "Object missing required field `sku`"), RejectionCode.MISSING_FIELD),
        (FieldError("x", "Expected `str`, got `int`"), RejectionCode.TYPE_ERROR),
        (FieldError("x", "Invalid decimal string"), RejectionCode.TYPE_ERROR),
        (FieldError("x", "Expected `str` of length <= 64"), RejectionCode.CONSTRAINT_ERROR),
        (
            FieldError("currency", "'ZZZ' is not an ISO 4217 currency code"),
            RejectionCode.UNKNOWN_CURRENCY,
        ),
        (FieldError("totalAmount", "is 1 but the items add up to 2"), RejectionCode.TOTAL_MISMATCH),
        (FieldError("totalAmount", "must not exceed 1000000000"), RejectionCode.CONSTRAINT_ERROR),
    ],
)
def test_rejection_codes(error: FieldError, code: RejectionCode) -> None:
    assert rejection_code(error) is code


def test_an_order_too_large_to_keep_is_a_rejected_row_not_a_failed_import() -> None:
    wide = "\U0001f4e6"
    rows = [f"BIG,c,e@x.io,EUR,S{n},{wide * 256},1,1.00," for n in range(MAX_ITEMS)]
    assert csv_order(*rows) == [(2, "items", RejectionCode.CONSTRAINT_ERROR)]
