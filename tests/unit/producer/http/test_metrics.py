"""The producer's /metrics: requests by route template and status, outside the API."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.plugins.prometheus import PrometheusConfig
from litestar.testing import TestClient
from litestar.types import Receive, Scope, Send
from prometheus_client import REGISTRY
from tests.unit.producer.conftest import FakeStore, order_body

from conveyor_producer.http.metrics import RequestMetrics

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


def sample(name: str, path: str, method: str, status: int) -> float:
    labels = {"app_name": "producer", "method": method, "path": path, "status_code": str(status)}
    return REGISTRY.get_sample_value(f"conveyor_producer_{name}", labels) or 0.0


def test_a_failed_request_is_counted_as_an_error_and_timed(
    client: TestClient[Any], auth: dict[str, str], store: FakeStore
) -> None:
    # given a state table failing in a way no handler expects: a 500
    store.fault = RuntimeError("the table broke")
    names = ("requests_total", "requests_error_total", "request_duration_seconds_count")
    before = [sample(name, ORDERS, "POST", 500) for name in names]

    response = client.post(ORDERS, json=order_body(), headers=auth)

    assert response.status_code == 500
    after = [sample(name, ORDERS, "POST", 500) for name in names]
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 1]
    # and a request no longer in progress is not counted as one
    assert sample("requests_in_progress", ORDERS, "POST", 200) == 0


def test_an_accepted_request_is_timed_but_not_counted_as_an_error(
    client: TestClient[Any], auth: dict[str, str]
) -> None:
    before = sample("request_duration_seconds_sum", ORDERS, "POST", 202)
    errors = sample("requests_error_total", ORDERS, "POST", 202)

    client.post(ORDERS, json=order_body(), headers=auth)

    assert sample("request_duration_seconds_sum", ORDERS, "POST", 202) > before
    assert sample("requests_error_total", ORDERS, "POST", 202) == errors == 0


@pytest.mark.parametrize(
    "config",
    [
        PrometheusConfig(group_path=False),
        PrometheusConfig(group_path=True, labels={"team": "orders"}),
        PrometheusConfig(group_path=True, excluded_http_methods=["GET"]),
    ],
)
def test_the_middleware_refuses_settings_it_would_not_honour(config: PrometheusConfig) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        pass

    with pytest.raises(ValueError, match="RequestMetrics"):
        RequestMetrics(app, config)
