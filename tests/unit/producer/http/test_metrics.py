"""The producer's /metrics: requests by route template and status, outside the API."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient
from prometheus_client import REGISTRY
from tests.unit.producer.conftest import order_body

ORDERS = "/api/v1/orders"


def requests_served(path: str, method: str, status: int) -> float:
    labels = {"app_name": "producer", "method": method, "path": path, "status_code": str(status)}
    return REGISTRY.get_sample_value("conveyor_producer_requests_total", labels) or 0.0


def test_requests_are_counted_by_route_template_not_by_raw_path(
    client: TestClient[Any], auth: dict[str, str]
) -> None:
    template = f"{ORDERS}/{{order_id}}"
    before = requests_served(ORDERS, "POST", 202), requests_served(template, "GET", 200)

    order_id = client.post(ORDERS, json=order_body(), headers=auth).json()["orderId"]
    client.get(f"{ORDERS}/{order_id}", headers=auth)

    after = requests_served(ORDERS, "POST", 202), requests_served(template, "GET", 200)
    assert (after[0] - before[0], after[1] - before[1]) == (1, 1)


def test_metrics_need_no_token_and_are_prometheus_text(client: TestClient[Any]) -> None:
    response = client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "conveyor_producer_request_duration_seconds_bucket" in response.text


def test_metrics_are_not_part_of_the_api_schema(client: TestClient[Any]) -> None:
    paths = client.get("/schema/openapi.json").json()["paths"]

    assert "/metrics" not in paths
