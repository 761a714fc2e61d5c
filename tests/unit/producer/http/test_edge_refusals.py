"""What the workers cannot store or render is refused at the edge, with a 4xx naming it.

A 202 is a promise: PostgreSQL refuses NUL in text, openpyxl and WeasyPrint refuse
control characters, PostgreSQL's bigint has a range. Each case here was once
accepted (and failed downstream) or answered 500.
"""

from __future__ import annotations

import json
from typing import Any

import jwt
import pytest
from litestar.testing import TestClient
from tests.unit.producer.conftest import (
    EXPORTS,
    SECRET,
    TENANT,
    FakePublisher,
    bearer,
    order_body,
)

from conveyor_producer.jobs.rules import MAX_PAGE

ORDERS = "/api/v1/orders"
PROBLEM = "application/problem+json"
EXPORTER = bearer(email="alice@example.com")


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    return body


def fields(response: Any, status: int = 422) -> list[str]:
    return [error["field"] for error in problem(response, status)["errors"]]


def post_raw(client: TestClient[Any], path: str, content: bytes, **headers: str) -> Any:
    return client.post(
        path, content=content, headers={**EXPORTER, "Content-Type": "application/json", **headers}
    )


def item(**overrides: Any) -> dict[str, Any]:
    return {"sku": "SKU-1", "name": "Widget", "quantity": 1, "unitPrice": "1.00"} | overrides


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (order_body(customerName="Jane\x00Doe"), "customerName"),
        (order_body(customerId="cust\x0042"), "customerId"),
        (order_body(items=[item(sku="SKU\x00-1")], totalAmount=None), "items[0].sku"),
        (order_body(items=[item(name="Wid\x00get")], totalAmount=None), "items[0].name"),
    ],
)
def test_nul_in_order_text_is_422_naming_the_field(
    client: TestClient[Any], body: dict[str, Any], field: str, publisher: FakePublisher
) -> None:
    response = client.post(ORDERS, json=body, headers=EXPORTER)

    assert fields(response) == [field]
    assert publisher.published == []


@pytest.mark.parametrize(
    "text",
    [
        "a\x01b",
        "a\x1fb",
        "a\x7fb",
        "a\x85b",
        "a\x9fb",
        "a\tb",
        "a\nb",
        "a\rb",
        "a\u2028b",
        "\uffff",
    ],
)
def test_control_characters_and_line_breaks_in_names_are_422(
    client: TestClient[Any], text: str
) -> None:
    response = client.post(ORDERS, json=order_body(customerName=text), headers=EXPORTER)

    [error] = problem(response, 422)["errors"]
    assert error["field"] == "customerName"
    assert error["message"].startswith("must not contain control characters")


@pytest.mark.parametrize(
    "text", ["Zoë Ångström", "山田太郎", "O'Brien & Sons", "naïve café ☕", "a\u00a0b", "👩‍👩‍👧"]
)
def test_any_other_unicode_text_is_accepted(
    client: TestClient[Any], text: str, publisher: FakePublisher
) -> None:
    body = order_body(customerName=text, items=[item(name=text)], totalAmount=None)

    response = client.post(ORDERS, json=body, headers=EXPORTER)

    assert response.status_code == 202, response.text
    order = publisher.published[0].payload.order  # type: ignore[attr-defined]
    assert (order.customer_name, order.items[0].name) == (text, text)


def test_line_breaks_around_text_are_trimmed_like_spaces(
    client: TestClient[Any], publisher: FakePublisher
) -> None:
    response = client.post(ORDERS, json=order_body(customerId="\tcust-1\r\n"), headers=EXPORTER)

    assert response.status_code == 202, response.text
    assert publisher.published[0].payload.order.customer_id == "cust-1"  # type: ignore[attr-defined]


@pytest.mark.parametrize("path", [ORDERS, EXPORTS])
def test_invalid_utf8_inside_a_json_string_is_400(client: TestClient[Any], path: str) -> None:
    # given a body written in Latin-1: "é" is the single byte 0xE9
    body = order_body(customerName="José") if path == ORDERS else {"resource": "orders"}
    if path == EXPORTS:
        body |= {"format": "csv", "title": "Résumé"}
    content = json.dumps(body, ensure_ascii=False).encode("latin-1")

    response = post_raw(client, path, content)

    assert problem(response, 400)["type"].endswith("/malformed-body")
    assert "UTF-8" in response.json()["detail"]


@pytest.mark.parametrize(
    ("path", "body"), [(ORDERS, order_body()), (EXPORTS, {"resource": "orders", "format": "csv"})]
)
def test_a_declared_charset_other_than_utf8_is_415(
    client: TestClient[Any], path: str, body: dict[str, Any]
) -> None:
    content = json.dumps(body).encode()

    response = post_raw(
        client, path, content, **{"Content-Type": "application/json; charset=latin-1"}
    )

    problem(response, 415)


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=UTF-8", "Application/JSON; Charset=utf8"]
)
def test_an_explicit_utf8_charset_is_fine(client: TestClient[Any], content_type: str) -> None:
    content = json.dumps(order_body()).encode()

    response = post_raw(client, ORDERS, content, **{"Content-Type": content_type})

    assert response.status_code == 202, response.text


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_filters_nested_deeply_are_4xx_not_500(client: TestClient[Any], depth: int) -> None:
    nested = b"[" * depth + b"]" * depth
    content = b'{"resource": "orders", "format": "csv", "filters": {"status": ' + nested + b"}}"

    response = post_raw(client, EXPORTS, content)

    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == PROBLEM


def test_filters_nested_a_little_are_422_naming_filters(client: TestClient[Any]) -> None:
    content = b'{"resource": "orders", "format": "csv", "filters": {"status": [[["PERSISTED"]]]}}'

    assert fields(post_raw(client, EXPORTS, content))[0].startswith("filters")


def test_an_over_long_filter_name_is_422_naming_filters(client: TestClient[Any]) -> None:
    body = {"resource": "orders", "format": "csv", "filters": {"k" * 65: "x"}}

    assert fields(client.post(EXPORTS, json=body, headers=EXPORTER)) == ["filters"]


@pytest.mark.parametrize("nested", [{"x": 1}, [[1]], {"from": {"deep": 1}}])
def test_filters_with_non_scalar_values_are_422(client: TestClient[Any], nested: Any) -> None:
    body = {"resource": "orders", "format": "csv", "filters": {"customerId": nested}}

    assert fields(client.post(EXPORTS, json=body, headers=EXPORTER))[0].startswith("filters")


@pytest.mark.parametrize("title", ["a\x01b", "T\x00itle", "two\nlines", "tab\there", "\x7f"])
def test_an_export_title_with_control_characters_is_422(
    client: TestClient[Any], title: str, publisher: FakePublisher
) -> None:
    body = {"resource": "orders", "format": "xlsx", "title": title}

    assert fields(client.post(EXPORTS, json=body, headers=EXPORTER)) == ["title"]
    assert publisher.published == []


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("page=9223372036854775807", "page"),
        ("page=99999999999999999999999999999", "page"),
        (f"page={MAX_PAGE + 1}", "page"),
        ("page=0", "page"),
        ("limit=101", "limit"),
        ("limit=-1", "limit"),
        ("page=abc", "page"),
    ],
)
def test_query_parameters_out_of_range_are_400_naming_them(
    client: TestClient[Any], query: str, parameter: str
) -> None:
    response = client.get(f"{EXPORTS}?{query}", headers=EXPORTER)

    assert fields(response, 400) == [parameter]


def test_the_last_page_allowed_is_served(client: TestClient[Any]) -> None:
    assert client.get(f"{EXPORTS}?page={MAX_PAGE}", headers=EXPORTER).status_code == 200


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (b'"quantity": 1e400', "items[0].quantity"),
        (b'"quantity": -1e400', "items[0].quantity"),
        (b'"quantity": 1000000000000000000000000000000', "items[0].quantity"),
        (b'"quantity": 1.5', "items[0].quantity"),
    ],
)
def test_numbers_out_of_any_range_are_422_naming_the_field(
    client: TestClient[Any], content: bytes, field: str
) -> None:
    body = (
        b'{"customerId": "c", "customerEmail": "c@example.com", "currency": "EUR", '
        b'"items": [{"sku": "A", "unitPrice": "1", ' + content + b"}]}"
    )

    assert fields(post_raw(client, ORDERS, body)) == [field]


@pytest.mark.parametrize(
    "price", ["NaN", "-NaN", "sNaN", "Infinity", "-Infinity", "1E+999999999", "9" * 5000, 1e308]
)
def test_prices_that_are_no_amount_are_422(client: TestClient[Any], price: Any) -> None:
    body = order_body(items=[item(unitPrice=price)], totalAmount=None)

    assert fields(client.post(ORDERS, json=body, headers=EXPORTER)) == ["items[0].unitPrice"]


def test_a_negative_zero_price_is_zero(client: TestClient[Any], publisher: FakePublisher) -> None:
    body = order_body(items=[item(unitPrice="-0.00")], totalAmount="0")

    assert client.post(ORDERS, json=body, headers=EXPORTER).status_code == 202
    order = publisher.published[0].payload.order  # type: ignore[attr-defined]
    assert str(order.items[0].unit_price) == "0.00"


@pytest.mark.parametrize(
    "address",
    ["josé@example.com", "a@exämple.com", "a..b@example.com", "a@b@example.com", "a@-x.com"],
)
def test_an_address_ses_cannot_take_is_422_for_orders_and_exports(
    client: TestClient[Any], address: str
) -> None:
    order = client.post(ORDERS, json=order_body(customerEmail=address), headers=EXPORTER)
    export = client.post(
        EXPORTS, json={"resource": "orders", "format": "csv", "notify": [address]}, headers=EXPORTER
    )

    assert fields(order) == ["customerEmail"]
    assert fields(export) == ["notify[0]"]


@pytest.mark.parametrize("path", [ORDERS, EXPORTS])
def test_idempotency_keys_of_two_tenants_never_collide(
    client: TestClient[Any], path: str, publisher: FakePublisher
) -> None:
    body = order_body() if path == ORDERS else {"resource": "orders", "format": "csv"}
    # given tenant T used the key "x#y"
    first = client.post(
        path,
        json=body,
        headers={**bearer(tenant="T", email="a@example.com"), "Idempotency-Key": "x#y"},
    )
    # when tenant "T#x" uses the key "y" for another request
    other = client.post(
        path,
        json=body,
        headers={**bearer(tenant="T#x", email="a@example.com"), "Idempotency-Key": "y"},
    )

    # then both are accepted as requests of their own
    assert (first.status_code, other.status_code) == (202, 202), other.text
    assert first.json() != other.json()
    assert [envelope.tenant_id for envelope in publisher.published] == ["T", "T#x"]


@pytest.mark.parametrize("claim", ["sub", "tenant"])
def test_a_token_whose_subject_or_tenant_holds_control_characters_is_401(
    client: TestClient[Any], claim: str
) -> None:
    claims: dict[str, Any] = {"sub": "alice", "tenant": TENANT, "roles": ["exporter"]}
    claims |= {claim: "bad\x00value", "exp": 4_102_444_800}
    token = jwt.encode(claims, SECRET, algorithm="HS256")

    response = client.post(ORDERS, json=order_body(), headers={"Authorization": f"Bearer {token}"})

    assert problem(response, 401)["detail"].startswith("invalid bearer token: invalid claims")
