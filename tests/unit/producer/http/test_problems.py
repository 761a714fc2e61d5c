from __future__ import annotations

import json
from typing import Any

import pytest
from litestar import Litestar, get
from litestar.testing import TestClient
from tests.unit.producer.conftest import order_body

from conveyor_producer.http.problems import ProblemType, ProblemTypes, exception_handlers

ORDERS = "/api/v1/orders"
PROBLEM = "application/problem+json"


def post_raw(
    client: TestClient[Any],
    auth: dict[str, str],
    content: bytes,
    content_type: str = "application/json",
) -> Any:
    return client.post(ORDERS, content=content, headers={**auth, "Content-Type": content_type})


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert {"type", "title", "detail", "correlationId"} <= problem.keys()
    return problem


@pytest.mark.parametrize("content", [b"{", b"not json", b"", b"   ", b'{"a":1}}', b"\xff\xfe"])
def test_malformed_json_is_400(
    client: TestClient[Any], auth: dict[str, str], content: bytes
) -> None:
    problem = assert_problem(post_raw(client, auth, content), 400)

    assert problem["type"].endswith("/malformed-body")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (order_body(customerId=42), "customerId"),
        (order_body(unexpected="x"), "unexpected"),
        ({k: v for k, v in order_body().items() if k != "customerEmail"}, "customerEmail"),
        # (totals that match the items: the total of what decoded is checked too)
        (
            order_body(
                items=[{"sku": "A", "quantity": 1, "unitPrice": "1", "colour": "red"}],
                totalAmount="1.00",
            ),
            "items[0].colour",
        ),
        (
            order_body(items=[{"quantity": 1, "unitPrice": "1"}], totalAmount="1.00"),
            "items[0].sku",
        ),
        (order_body(items=[{"sku": "A", "quantity": 0, "unitPrice": "1"}]), "items[0].quantity"),
        (order_body(items=[{"sku": "A", "quantity": 1, "unitPrice": "abc"}]), "items[0].unitPrice"),
        (order_body(items=[]), "items"),
        ([order_body()], ""),
    ],
)
def test_schema_violations_are_422_naming_the_field(
    client: TestClient[Any], auth: dict[str, str], body: Any, field: str
) -> None:
    problem = assert_problem(post_raw(client, auth, json.dumps(body).encode()), 422)

    assert [error["field"] for error in problem["errors"]] == [field]


def test_business_rule_violations_are_422_with_every_field_error(
    client: TestClient[Any], auth: dict[str, str]
) -> None:
    # given an order with a bad currency, a blank sku and sub-cent price
    body = order_body(
        currency="XYZ",
        items=[{"sku": "  ", "quantity": 1, "unitPrice": "1.001"}],
        totalAmount=None,
    )

    # when it is submitted
    problem = assert_problem(client.post(ORDERS, json=body, headers=auth), 422)

    # then every broken rule is reported at once
    assert {error["field"] for error in problem["errors"]} == {
        "currency",
        "items[0].sku",
        "items[0].unitPrice",
    }


def test_schema_violations_and_broken_rules_are_all_in_one_422(
    client: TestClient[Any], auth: dict[str, str]
) -> None:
    # given an order with a bad e-mail, an unknown member, a blank sku, a negative quantity,
    # a price that is no number and an unknown currency
    body = order_body(
        customerEmail="not-an-email",
        currency="XYZ",
        colour="red",
        items=[
            {"sku": " ", "quantity": 1, "unitPrice": "1.00"},
            {"sku": "B", "quantity": -1, "unitPrice": "abc"},
        ],
    )

    # when it is submitted
    problem = assert_problem(client.post(ORDERS, json=body, headers=auth), 422)

    # then each field's own problem comes first, then the rules' of what decoded
    assert [error["field"] for error in problem["errors"]] == [
        "colour",
        "items[1].quantity",
        "items[1].unitPrice",
        "customerEmail",
        "currency",
        "items[0].sku",
    ]
    assert all(error["message"] for error in problem["errors"])


def test_a_total_that_does_not_match_the_items_is_422(
    client: TestClient[Any], auth: dict[str, str]
) -> None:
    problem = assert_problem(
        client.post(ORDERS, json=order_body(totalAmount="1.00"), headers=auth), 422
    )

    assert problem["errors"][0]["field"] == "totalAmount"


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/xml", "application/x-www-form-urlencoded"]
)
def test_a_body_that_is_not_json_by_content_type_is_415(
    client: TestClient[Any], auth: dict[str, str], content_type: str
) -> None:
    response = post_raw(client, auth, json.dumps(order_body()).encode(), content_type)

    assert_problem(response, 415)


def test_a_body_over_the_limit_is_413(client: TestClient[Any], auth: dict[str, str]) -> None:
    # given a body larger than the 64 KiB configured for the tests
    body = json.dumps(order_body(customerName="x" * 70_000)).encode()

    assert_problem(post_raw(client, auth, body), 413)


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there", "del\x7fchar"])
def test_an_unusable_idempotency_key_is_400(
    client: TestClient[Any], auth: dict[str, str], key: str
) -> None:
    response = client.post(ORDERS, json=order_body(), headers={**auth, "Idempotency-Key": key})

    problem = assert_problem(response, 400)
    assert problem["type"].endswith("/invalid-idempotency-key")


def test_unknown_routes_are_404_problems(client: TestClient[Any]) -> None:
    assert_problem(client.get("/api/v2/nothing"), 404)


def test_a_wrong_method_is_405(client: TestClient[Any], auth: dict[str, str]) -> None:
    assert_problem(client.delete(ORDERS, headers=auth), 405)


@pytest.mark.parametrize(
    "content",
    [
        b"null",
        b"1e999999",
        b'"text"',
        b'{"customerId": null}',
        b"[" * 10_000,
        json.dumps(order_body(items=[{"sku": "A", "quantity": 10**30, "unitPrice": "1"}])).encode(),
        json.dumps(order_body(items=[{"sku": "A", "quantity": 1, "unitPrice": "NaN"}])).encode(),
        json.dumps(
            order_body(items=[{"sku": "A", "quantity": 1, "unitPrice": "Infinity"}])
        ).encode(),
        json.dumps(
            order_body(items=[{"sku": "A", "quantity": 1, "unitPrice": "1E+999999"}])
        ).encode(),
        json.dumps(order_body(items=[{"sku": "A", "quantity": 1, "unitPrice": "-1"}])).encode(),
        json.dumps(order_body(totalAmount="1E+999999")).encode(),
        json.dumps(order_body(customerEmail=["a@b.co"])).encode(),
        b'{"customerId": "\\ud800"}',
    ],
)
def test_hostile_input_never_causes_a_server_error(
    client: TestClient[Any], auth: dict[str, str], content: bytes
) -> None:
    response = post_raw(client, auth, content)

    assert 400 <= response.status_code < 500
    assert response.headers["content-type"] == PROBLEM


def test_a_failure_two_features_both_claim_is_refused_when_the_app_is_built() -> None:
    claimed: ProblemTypes = {LookupError: ProblemType(404, "gone")}

    with pytest.raises(ValueError, match="registered twice"):
        exception_handlers(claimed, dict(claimed))


def test_a_feature_failure_maps_to_the_problem_type_of_its_nearest_registered_class() -> None:
    class Missing(LookupError):
        pass

    app = Litestar(
        route_handlers=[raises_missing(Missing)],
        exception_handlers=exception_handlers({LookupError: ProblemType(404, "gone", "Gone")}),
    )
    with TestClient(app) as client:
        problem = assert_problem(client.get("/missing"), 404)

    assert (problem["type"], problem["title"]) == (
        "https://conveyor.example.com/problems/gone",
        "Gone",
    )


def raises_missing(error: type[Exception]) -> Any:
    @get("/missing", sync_to_thread=False)
    def missing() -> None:
        raise error("nothing here")

    return missing
