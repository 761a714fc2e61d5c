"""The importer accepts and rejects exactly the orders POST /api/v1/orders does, and
names the same fields: both run the same decoder and the same rules, whichever JSON form
the file has. An order with k problems gets k errors at least."""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conveyor_common.errors import FieldError, ValidationFailed
from conveyor_common.orders import Order, normalise_order
from conveyor_processor.imports.json_orders import json_array_orders, ndjson_orders
from conveyor_processor.imports.mapping import to_order
from conveyor_processor.imports.source import CountingReader, utf8_lines
from conveyor_producer.orders.requests import decode_order_request

NOW = datetime(2026, 5, 1, 9, tzinfo=UTC)
_ID = uuid.UUID(int=1)
_text = st.one_of(
    st.sampled_from(["", " ", "cust-1", " x ", "a\x07b", "é", "x" * 130, "SKU-1"]),
    st.text(max_size=8),
)
_numbers = st.one_of(
    st.integers(min_value=-2, max_value=100_001),
    st.sampled_from([0.5, 1.999, 19.99, 1e20]),
    st.sampled_from(["19.99", "1.999", "-1", "abc", "0", "1000000001"]),
)
_value = st.one_of(_text, _numbers, st.none(), st.booleans())
_email = st.one_of(st.sampled_from(["jane@example.com", "bad", " J@Example.com ", ""]), _value)
_currency = st.one_of(st.sampled_from(["EUR", "usd", "ZZZ", "EURO"]), _value)
_item = st.fixed_dictionaries(
    {},
    optional={
        "sku": _text,
        "quantity": _numbers,
        "unitPrice": _numbers,
        "name": st.one_of(_text, st.none()),
        "colour": _text,
    },
)
_order = st.fixed_dictionaries(
    {},
    optional={
        "customerId": _text,
        "customerEmail": _email,
        "currency": _currency,
        "items": st.one_of(st.lists(_item, max_size=3), _value),
        "totalAmount": st.one_of(_numbers, st.none()),
        "customerName": st.one_of(_text, st.none()),
        "extra": _value,
    },
)


def api_accepts(body: dict[str, Any]) -> bool:
    try:
        request = decode_order_request(json.dumps(body).encode())
        normalise_order(request, order_id=_ID, tenant_id="acme", submitted_at=NOW)
    except ValidationFailed:
        return False
    return True


def importer_accepts(body: dict[str, Any]) -> dict[str, bool]:
    line = json.dumps({"orderId": "A-1", **body}).encode()
    array = b"[" + line + b"]"
    [from_lines] = ndjson_orders(utf8_lines(iter([line + b"\n"])))
    [from_array] = json_array_orders(
        CountingReader(io.BytesIO(array)), again=lambda: io.BytesIO(array)
    )
    return {
        form: isinstance(to_order(read, tenant_id="acme", uploaded_at=NOW), Order)
        for form, read in (("ndjson", from_lines), ("json", from_array))
    }


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_order)
def test_the_importer_and_the_api_accept_and_reject_the_same_orders(
    body: dict[str, Any],
) -> None:
    expected = api_accepts(body)
    assert importer_accepts(body) == {"ndjson": expected, "json": expected}


def test_the_generated_orders_include_accepted_ones() -> None:
    good = {
        "customerId": "c",
        "customerEmail": "j@example.com",
        "currency": "EUR",
        "items": [{"sku": "S", "quantity": 1, "unitPrice": 19.99}],
    }
    assert api_accepts(good)
    assert importer_accepts(good) == {"ndjson": True, "json": True}


@settings(max_examples=100, deadline=None)
@given(_order, st.lists(_item, min_size=1, max_size=3))
def test_orders_that_are_mostly_right_agree_too(
    body: dict[str, Any], items: list[dict[str, Any]]
) -> None:
    body = {
        "customerId": "c",
        "customerEmail": "j@example.com",
        "currency": "EUR",
        **body,
        "items": items,
    }
    expected = api_accepts(body)
    assert importer_accepts(body) == {"ndjson": expected, "json": expected}


def api_errors(body: dict[str, Any]) -> list[FieldError]:
    """The errors POST /api/v1/orders lists in its 422 (none when it accepts)."""
    try:
        request = decode_order_request(json.dumps(body).encode())
        normalise_order(request, order_id=_ID, tenant_id="acme", submitted_at=NOW)
    except ValidationFailed as exc:
        return exc.errors
    return []


def api_fields(body: dict[str, Any]) -> set[str]:
    return {error.field for error in api_errors(body)}


def importer_fields(body: dict[str, Any]) -> dict[str, set[str]]:
    line = json.dumps({"orderId": "A-1", **body}).encode()
    array = b"[" + line + b"]"
    [from_lines] = ndjson_orders(utf8_lines(iter([line + b"\n"])))
    [from_array] = json_array_orders(
        CountingReader(io.BytesIO(array)), again=lambda: io.BytesIO(array)
    )
    fields: dict[str, set[str]] = {}
    for form, read in (("ndjson", from_lines), ("json", from_array)):
        result = to_order(read, tenant_id="acme", uploaded_at=NOW)
        fields[form] = set() if isinstance(result, Order) else {r.field for r in result}
    return fields


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_order)
def test_the_importer_and_the_api_name_the_same_fields(body: dict[str, Any]) -> None:
    expected = api_fields(body)
    assert importer_fields(body) == {"ndjson": expected, "json": expected}


GOOD_ORDER: dict[str, Any] = {
    "customerId": "c",
    "customerEmail": "j@example.com",
    "customerName": "Jane",
    "currency": "EUR",
    "items": [
        {"sku": "S1", "quantity": 1, "unitPrice": "1.00"},
        {"sku": "S2", "quantity": 2, "unitPrice": "3.00", "name": "Pen"},
    ],
    "totalAmount": "7.00",
}


def _change_item(body: dict[str, Any], index: int, **changes: Any) -> None:
    item = {**body["items"][index], **changes}
    body["items"] = [item if at == index else other for at, other in enumerate(body["items"])]


def _without_sku(body: dict[str, Any]) -> None:
    body["items"] = [
        {k: v for k, v in item.items() if k != "sku"} if at == 1 else item
        for at, item in enumerate(body["items"])
    ]


# Problems of distinct fields, none hiding another: each is one error at least.
PROBLEMS: dict[str, Any] = {
    "blank customerId": lambda body: body.update(customerId="  "),
    "customerId no text": lambda body: body.update(customerId=42),
    "bad e-mail": lambda body: body.update(customerEmail="not-an-email"),
    "e-mail too long": lambda body: body.update(customerEmail="a" * 300),
    "unknown currency": lambda body: body.update(currency="ZZZ"),
    "control character in the name": lambda body: body.update(customerName="a\x07b"),
    "unknown member": lambda body: body.update(colour="red"),
    "negative quantity": lambda body: _change_item(body, 0, quantity=-1),
    "sub-cent price": lambda body: _change_item(body, 0, unitPrice="1.001"),
    "missing sku": _without_sku,
    "price no number": lambda body: _change_item(body, 1, unitPrice="abc"),
    "unknown item member": lambda body: _change_item(body, 1, colour="red"),
}
# Two problems of one field are one problem.
_SAME_FIELD = [
    {"blank customerId", "customerId no text"},
    {"bad e-mail", "e-mail too long"},
]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sets(st.sampled_from(sorted(PROBLEMS)), min_size=1))
def test_an_order_with_k_problems_reports_at_least_k(planted: set[str]) -> None:
    for pair in _SAME_FIELD:
        if pair <= planted:
            planted = planted - {min(pair)}
    body = json.loads(json.dumps(GOOD_ORDER))
    for name in sorted(planted):
        PROBLEMS[name](body)

    errors = api_errors(body)
    assert len(errors) >= len(planted), errors
    line = json.dumps({"orderId": "A-1", **body}).encode()
    [read] = ndjson_orders(utf8_lines(iter([line + b"\n"])))
    result = to_order(read, tenant_id="acme", uploaded_at=NOW)
    assert isinstance(result, list)
    assert len(result) >= len(planted)


def test_a_good_order_with_no_problem_planted_is_accepted() -> None:
    assert api_accepts(GOOD_ORDER)
    assert importer_accepts(GOOD_ORDER) == {"ndjson": True, "json": True}
