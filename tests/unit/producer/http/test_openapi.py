"""The served OpenAPI document: request bodies, problem responses and parameter bounds."""

from __future__ import annotations

import re
from typing import Annotated, Any

import msgspec
import pytest
from litestar.testing import TestClient
from tests.unit.producer.conftest import bearer

from conveyor_common.exports.model import MAX_TITLE_LENGTH
from conveyor_common.orders import CUSTOMER_ID_LENGTH, MAX_ITEMS, MAX_QUANTITY, SKU_LENGTH
from conveyor_common.text import EMAIL_LENGTH, SINGLE_LINE_PATTERN
from conveyor_producer.acceptance.idempotency import KEY_MAX_LENGTH
from conveyor_producer.http.openapi import request_schema
from conveyor_producer.jobs.rules import MAX_PAGE, MAX_PAGE_SIZE

SCHEMA_PATH = "/schema/openapi.json"
PROBLEM = "application/problem+json"


@pytest.fixture
def document(client: TestClient[Any]) -> dict[str, Any]:
    response = client.get(SCHEMA_PATH)
    assert response.status_code == 200
    served: dict[str, Any] = response.json()
    return served


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "responses" in operation
    ]


def body_schema(document: dict[str, Any], path: str) -> dict[str, Any]:
    body = document["paths"][path]["post"]["requestBody"]
    assert body["required"] is True
    schema: dict[str, Any] = body["content"]["application/json"]["schema"]
    return schema


def test_the_order_body_is_documented_with_camel_case_names_and_bounds(
    document: dict[str, Any],
) -> None:
    schema = body_schema(document, "/api/v1/orders")

    assert set(schema["required"]) == {"customerId", "customerEmail", "currency", "items"}
    assert schema["additionalProperties"] is False
    properties = schema["properties"]
    assert properties["customerId"]["maxLength"] == CUSTOMER_ID_LENGTH
    assert properties["customerId"]["pattern"] == SINGLE_LINE_PATTERN
    assert properties["customerEmail"]["maxLength"] == EMAIL_LENGTH
    assert (properties["items"]["minItems"], properties["items"]["maxItems"]) == (1, MAX_ITEMS)
    line = properties["items"]["items"]
    assert set(line["required"]) == {"sku", "quantity", "unitPrice"}
    assert line["properties"]["sku"]["maxLength"] == SKU_LENGTH
    assert line["properties"]["quantity"]["maximum"] == MAX_QUANTITY
    assert "$ref" not in str(schema)


def test_the_export_body_is_documented_with_its_formats_and_filter_shapes(
    document: dict[str, Any],
) -> None:
    schema = body_schema(document, "/api/v1/exports")

    assert set(schema["required"]) == {"resource", "format"}
    properties = schema["properties"]
    assert properties["format"]["enum"] == ["csv", "pdf", "xlsx"]
    [title, _] = properties["title"]["anyOf"]
    assert (title["maxLength"], title["pattern"]) == (MAX_TITLE_LENGTH, SINGLE_LINE_PATTERN)
    # a filter value is a scalar, a list of scalars or a {from, to} object: never deeper
    shapes = properties["filters"]["additionalProperties"]["anyOf"]
    assert {shape["type"] for shape in shapes} >= {"string", "array", "object"}
    assert "includeBom" in properties


def test_every_error_a_route_gives_is_documented_as_a_problem(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        for status, response in operation["responses"].items():
            if status.startswith("4") or status == "503":
                assert list(response["content"]) == [PROBLEM], (method, path, status)
                schema = response["content"][PROBLEM]["schema"]
                assert schema == {"$ref": "#/components/schemas/Problem"}


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        ("post", "/api/v1/orders", {"202", "400", "401", "413", "415", "422", "503"}),
        ("get", "/api/v1/orders/{order_id}", {"200", "400", "401", "404", "503"}),
        ("post", "/api/v1/exports", {"202", "400", "401", "403", "413", "415", "422", "503"}),
        ("get", "/api/v1/exports", {"200", "400", "401", "503"}),
        ("get", "/api/v1/exports/{export_id}", {"200", "400", "401", "404", "410", "503"}),
        (
            "post",
            "/api/v1/exports/{export_id}/cancel",
            {"200", "202", "400", "401", "403", "404", "409", "410", "503"},
        ),
    ],
)
def test_each_route_documents_every_status_it_answers(
    document: dict[str, Any], method: str, path: str, statuses: set[str]
) -> None:
    assert set(document["paths"][path][method]["responses"]) == statuses


def test_paging_bounds_are_declared(document: dict[str, Any]) -> None:
    parameters = {
        parameter["name"]: parameter["schema"]
        for parameter in document["paths"]["/api/v1/exports"]["get"]["parameters"]
    }

    assert (parameters["page"]["minimum"], parameters["page"]["maximum"]) == (1, MAX_PAGE)
    assert (parameters["limit"]["minimum"], parameters["limit"]["maximum"]) == (1, MAX_PAGE_SIZE)


def test_the_documented_text_pattern_is_a_valid_regular_expression() -> None:
    pattern = re.compile(SINGLE_LINE_PATTERN)

    assert pattern.search("Zoë 山田 ☕")
    assert not pattern.search("a\x00b")


@pytest.mark.parametrize("path", ["/api/v1/orders", "/api/v1/exports"])
def test_the_documented_example_body_is_accepted(
    client: TestClient[Any], document: dict[str, Any], path: str
) -> None:
    [example] = body_schema(document, path)["examples"]

    response = client.post(path, json=example, headers=bearer(email="alice@example.com"))

    assert response.status_code == 202, response.text


@pytest.mark.parametrize("path", ["/api/v1/orders", "/api/v1/exports"])
def test_the_idempotency_key_header_is_documented_as_a_bounded_string(
    document: dict[str, Any], path: str
) -> None:
    [header] = document["paths"][path]["post"]["parameters"]

    assert (header["name"], header["in"], header["required"]) == (
        "Idempotency-Key",
        "header",
        False,
    )
    assert header["schema"]["type"] == "string"
    assert (header["schema"]["minLength"], header["schema"]["maxLength"]) == (1, KEY_MAX_LENGTH)


class _Inner(msgspec.Struct):
    size: int


class _Outer(msgspec.Struct):
    inner: Annotated[_Inner, msgspec.Meta(description="the inner part")]
    others: list[_Inner]


def test_a_request_schema_inlines_nested_types_keeping_what_is_said_beside_them() -> None:
    schema = request_schema(_Outer)

    inner = schema["properties"]["inner"]
    assert (inner["title"], inner["description"]) == ("_Inner", "the inner part")
    assert schema["properties"]["others"]["items"]["required"] == ["size"]
    assert "$ref" not in str(schema)
    assert "$defs" not in schema
