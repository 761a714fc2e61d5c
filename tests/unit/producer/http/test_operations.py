from __future__ import annotations

from typing import Any

from litestar.testing import TestClient
from tests.unit.producer.conftest import FakeCheck, FakePublisher, FakeStore, fake_adapters

from conveyor_producer.app import create_app
from conveyor_producer.http.readiness import ReadinessCheck
from conveyor_producer.settings import ProducerSettings


def test_health_needs_no_token(client: TestClient[Any]) -> None:
    response = client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_when_every_dependency_answers(client: TestClient[Any]) -> None:
    response = client.get("/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "aws": "ok"}}


def test_not_ready_names_the_failing_dependency(
    client: TestClient[Any], checks: list[FakeCheck]
) -> None:
    # given the database check fails
    checks[0].error = ConnectionRefusedError("connection refused")

    response = client.get("/ready")

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert "database" in response.json()["detail"]
    assert "aws" not in response.json()["detail"]


def test_checks_are_opened_and_closed_with_the_app(
    settings: ProducerSettings, publisher: FakePublisher, store: FakeStore
) -> None:
    check = FakeCheck("database")
    readiness: list[ReadinessCheck] = [check]
    app = create_app(settings, fake_adapters(store=store, publisher=publisher, checks=readiness))

    with TestClient(app):
        assert (check.opened, check.closed) == (True, False)

    assert check.closed


def test_openapi_documents_the_bearer_scheme(client: TestClient[Any]) -> None:
    schema = client.get("/schema/openapi.json").json()

    assert schema["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"
    assert schema["paths"]["/api/v1/orders"]["post"]["security"] == [{"BearerToken": []}]
    assert "security" not in schema["paths"]["/health"]["get"]
