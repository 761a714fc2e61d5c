"""/ready answers within its deadline, whatever the checks do."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from litestar.testing import TestClient
from tests.unit.producer.conftest import FakeCheck, FakePublisher, FakeStore, fake_adapters

from conveyor_producer.app import create_app
from conveyor_producer.http.readiness import READINESS_DEADLINE_SECONDS, ReadinessService
from conveyor_producer.outages import DependencyUnavailable
from conveyor_producer.settings import ProducerSettings

# Far beyond any deadline: a check held this long only ends when the test releases it.
HELD_SECONDS = 60.0


class HangingCheck(FakeCheck):
    """A dependency that does not answer until released, like a frozen endpoint."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.started = threading.Event()
        self.release = threading.Event()
        self.runs = 0

    def check(self) -> None:
        self.runs += 1
        self.started.set()
        self.release.wait(HELD_SECONDS)


def test_a_hanging_check_is_reported_at_the_deadline_not_awaited() -> None:
    hanging = HangingCheck("aws")
    readiness = ReadinessService([FakeCheck("database"), hanging], deadline_seconds=0.2)
    try:
        with pytest.raises(DependencyUnavailable) as not_ready:
            readiness.report()
        # reported while the check was still running: it ends only once released
        assert str(not_ready.value) == "not ready: aws: no answer within 0.2 s"
    finally:
        hanging.release.set()


def test_checks_run_concurrently() -> None:
    first, second = HangingCheck("database"), HangingCheck("aws")
    readiness = ReadinessService([first, second], deadline_seconds=0.2)
    try:
        with pytest.raises(DependencyUnavailable) as not_ready:
            readiness.report()
        # neither waited for the other, though neither has finished
        assert first.started.is_set()
        assert second.started.is_set()
        assert "aws: no answer" in str(not_ready.value)
        assert "database: no answer" in str(not_ready.value)
    finally:
        first.release.set()
        second.release.set()


def test_a_check_still_running_is_awaited_again_not_started_twice() -> None:
    hanging = HangingCheck("aws")
    readiness = ReadinessService([hanging], deadline_seconds=0.1)
    try:
        for _ in range(3):
            with pytest.raises(DependencyUnavailable):
                readiness.report()
        assert hanging.runs == 1
    finally:
        hanging.release.set()


def test_a_check_that_ended_runs_afresh_for_the_next_probe() -> None:
    check = FakeCheck("aws", error=ConnectionRefusedError("refused"))
    readiness = ReadinessService([check])
    with pytest.raises(DependencyUnavailable):
        readiness.report()

    check.error = None

    assert readiness.report() == {"aws": "ok"}


def test_ready_answers_503_at_the_deadline_while_a_check_hangs(
    settings: ProducerSettings, publisher: FakePublisher, store: FakeStore
) -> None:
    hanging = HangingCheck("aws")
    app = create_app(
        settings,
        fake_adapters(store=store, publisher=publisher, checks=[FakeCheck("database"), hanging]),
    )
    try:
        with TestClient(app) as client:
            # answered while the check still hangs: it ends only once released
            response = client.get("/ready")
    finally:
        hanging.release.set()

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert "Retry-After" in response.headers
    problem: dict[str, Any] = response.json()
    assert problem["detail"] == f"not ready: aws: no answer within {READINESS_DEADLINE_SECONDS} s"
