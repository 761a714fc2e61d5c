"""AWS that times out or cannot be reached: a prompt 503 with Retry-After, never a hang or a 500."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from litestar.testing import TestClient
from tests.unit.producer.conftest import (
    EXPORTS,
    FakeExportStates,
    FakePublisher,
    FakeStore,
    fake_adapters,
    order_body,
)

from conveyor_aws import clients
from conveyor_producer.acceptance.submitter import WITHDRAW_BUDGET_SECONDS
from conveyor_producer.app import create_app
from conveyor_producer.http.aws_budget import REQUEST_AWS_BUDGET_SECONDS
from conveyor_producer.settings import ProducerSettings

ENDPOINT = "http://aws.example.invalid"

TIMEOUTS_AND_CONNECTION_ERRORS = [
    pytest.param(ReadTimeoutError(endpoint_url=ENDPOINT), id="read-timeout"),
    pytest.param(ConnectTimeoutError(endpoint_url=ENDPOINT), id="connect-timeout"),
    pytest.param(EndpointConnectionError(endpoint_url=ENDPOINT), id="endpoint-connection"),
    pytest.param(ConnectionClosedError(endpoint_url=ENDPOINT), id="connection-closed"),
    pytest.param(clients.DeadlineExceeded(operation="PutItem"), id="deadline-exceeded"),
]


class FailingReads(FakeStore):
    """A state table whose reads fail too."""

    def get(self, pk: str, sk: str) -> dict[str, Any] | None:
        if self.fault is not None:
            raise self.fault
        return super().get(pk, sk)


class BudgetRecordingStore(FakeStore):
    """Notes the AWS time left at each write and delete, as a real call would see it."""

    def __init__(self) -> None:
        super().__init__()
        self.time_left: dict[str, float | None] = {}

    def put(self, pk: str, sk: str, attributes: Mapping[str, Any]) -> None:
        self.time_left.setdefault("put", clients.time_left())
        super().put(pk, sk, attributes)

    def delete(self, pk: str, sk: str) -> None:
        self.time_left["delete"] = clients.time_left()
        super().delete(pk, sk)


def assert_retry_later(response: Any) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0
    assert response.json()["type"].endswith("/dependency-unavailable")


@pytest.mark.parametrize("error", TIMEOUTS_AND_CONNECTION_ERRORS)
def test_an_order_is_refused_as_retryable_when_the_state_table_times_out(
    client: TestClient[Any], auth: dict[str, str], store: FakeStore, error: Exception
) -> None:
    store.fault = error

    response = client.post("/api/v1/orders", json=order_body(), headers=auth)

    assert_retry_later(response)


@pytest.mark.parametrize("error", TIMEOUTS_AND_CONNECTION_ERRORS)
def test_an_order_is_refused_as_retryable_when_publishing_times_out(
    client: TestClient[Any],
    auth: dict[str, str],
    store: FakeStore,
    publisher: FakePublisher,
    error: Exception,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def time_out(_: Any) -> str:
        raise error

    monkeypatch.setattr(publisher, "publish", time_out)

    response = client.post("/api/v1/orders", json=order_body(), headers=auth)

    assert_retry_later(response)
    # without an Idempotency-Key nobody can retry it, so it is not left looking accepted
    assert not [key for key in store.items if key[0].startswith("ORDER#")]


@pytest.mark.parametrize("error", TIMEOUTS_AND_CONNECTION_ERRORS)
def test_an_export_is_refused_as_retryable_when_the_state_table_times_out(
    client: TestClient[Any],
    auth: dict[str, str],
    export_states: FakeExportStates,
    error: Exception,
) -> None:
    export_states.fault = error

    body = {"resource": "orders", "format": "csv", "notify": ["alice@example.com"]}
    response = client.post(EXPORTS, json=body, headers=auth)

    assert_retry_later(response)


@pytest.mark.parametrize("error", TIMEOUTS_AND_CONNECTION_ERRORS)
def test_reading_an_order_is_refused_as_retryable_when_the_state_table_times_out(
    settings: ProducerSettings,
    publisher: FakePublisher,
    auth: dict[str, str],
    error: Exception,
) -> None:
    store = FailingReads()
    store.fault = error
    app = create_app(settings, fake_adapters(store=store, publisher=publisher))

    with TestClient(app) as client:
        response = client.get("/api/v1/orders/00000000-0000-4000-8000-000000000001", headers=auth)

    assert_retry_later(response)


def test_a_requests_aws_calls_share_one_budget(
    settings: ProducerSettings, auth: dict[str, str]
) -> None:
    store = BudgetRecordingStore()
    publisher = FakePublisher(store)
    publisher.failures = 1
    budgeted = settings.model_copy(update={"aws_request_budget_seconds": 2.5})
    app = create_app(budgeted, fake_adapters(store=store, publisher=publisher))

    with TestClient(app) as client:
        response = client.post("/api/v1/orders", json=order_body(), headers=auth)

    assert response.status_code == 503
    # the handler's thread sees the request's deadline
    recorded = store.time_left["put"]
    assert recorded is not None
    assert 0 < recorded <= 2.5
    # and withdrawing the unpublished order gets a budget of its own
    withdrawn = store.time_left["delete"]
    assert withdrawn is not None
    assert 0 < withdrawn <= WITHDRAW_BUDGET_SECONDS


def test_the_budget_defaults_to_three_seconds(settings: ProducerSettings) -> None:
    assert settings.aws_request_budget_seconds == REQUEST_AWS_BUDGET_SECONDS == 3.0


def test_outside_a_request_there_is_no_deadline() -> None:
    assert clients.time_left() is None
