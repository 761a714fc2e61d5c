"""POST /api/v1/exports/{id}/cancel: state transitions, idempotence, finished exports."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from litestar.testing import TestClient
from tests.unit.producer.conftest import EXPORTS, START, FakeExportStates, bearer

from conveyor_common.exports.job import ExportJob
from conveyor_common.jobs import JobStatus


def stored(export_states: FakeExportStates, status: JobStatus) -> ExportJob:
    return export_states.add(status=status)


def cancel(client: TestClient[Any], export_id: uuid.UUID, **caller: Any) -> Any:
    return client.post(f"{EXPORTS}/{export_id}/cancel", headers=bearer(**caller))


def test_a_queued_export_is_cancelled_at_once(
    client: TestClient[Any], export_states: FakeExportStates
) -> None:
    job = stored(export_states, JobStatus.QUEUED)

    response = cancel(client, job.export_id)

    assert response.status_code == 202
    assert response.json()["status"] == "CANCELLED"
    assert response.json()["completedAt"] == "2024-05-17T09:30:00Z"
    assert export_states.jobs[job.export_id].status is JobStatus.CANCELLED
    assert export_states.jobs[job.export_id].completed_at == START


def test_a_running_export_is_flagged_for_its_worker(
    client: TestClient[Any], export_states: FakeExportStates
) -> None:
    job = stored(export_states, JobStatus.PROCESSING)

    response = cancel(client, job.export_id)

    assert response.status_code == 202
    assert response.json()["status"] == "PROCESSING"
    assert response.json()["cancelRequested"] is True
    assert export_states.jobs[job.export_id].cancel_requested


def test_cancelling_a_cancelled_export_again_is_200_and_changes_nothing(
    client: TestClient[Any], export_states: FakeExportStates
) -> None:
    job = stored(export_states, JobStatus.QUEUED)
    cancel(client, job.export_id)
    cancelled = export_states.jobs[job.export_id]

    again = cancel(client, job.export_id)

    assert again.status_code == 200
    assert again.json()["status"] == "CANCELLED"
    assert export_states.jobs[job.export_id] == cancelled


@pytest.mark.parametrize("status", [JobStatus.COMPLETED, JobStatus.FAILED])
def test_a_finished_export_cannot_be_cancelled(
    client: TestClient[Any], export_states: FakeExportStates, status: JobStatus
) -> None:
    job = stored(export_states, status)

    response = cancel(client, job.export_id)

    assert response.status_code == 409
    assert response.json()["type"].endswith("/export-finished")
    assert export_states.jobs[job.export_id].status is status


def test_an_admin_may_cancel_any_export_of_the_tenant(
    client: TestClient[Any], export_states: FakeExportStates
) -> None:
    job = stored(export_states, JobStatus.QUEUED)

    response = cancel(client, job.export_id, sub="root", roles=("admin",))

    assert response.status_code == 202


@pytest.mark.parametrize(
    "caller",
    [{"sub": "bob"}, {"sub": "alice", "tenant": "globex"}, {"sub": "r", "tenant": "globex"}],
)
def test_someone_elses_export_is_not_found_and_stays_queued(
    client: TestClient[Any], export_states: FakeExportStates, caller: dict[str, Any]
) -> None:
    job = stored(export_states, JobStatus.QUEUED)

    response = cancel(client, job.export_id, **caller)

    assert response.status_code == 404
    assert export_states.jobs[job.export_id].status is JobStatus.QUEUED


def test_cancelling_an_unknown_export_is_404(client: TestClient[Any]) -> None:
    assert cancel(client, uuid.uuid4()).status_code == 404


def test_cancelling_needs_the_exporter_or_admin_role(
    client: TestClient[Any], export_states: FakeExportStates
) -> None:
    job = stored(export_states, JobStatus.QUEUED)

    refused = cancel(client, job.export_id, roles=("viewer",))

    assert refused.status_code == 403
    assert refused.json()["status"] == 403
    assert export_states.jobs[job.export_id].status is JobStatus.QUEUED
    assert cancel(client, job.export_id, roles=("admin",)).status_code == 202
