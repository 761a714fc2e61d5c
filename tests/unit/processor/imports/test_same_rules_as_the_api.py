"""The importer accepts and rejects exactly the orders POST /api/v1/orders does: both
run the same decoder and the same rules, whichever JSON form the file has."""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conveyor_common.errors import ValidationFailed
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
