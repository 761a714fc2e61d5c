"""GET /api/v1/exports/{id}: who may see an export, expiry, and download links."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import TestClient
from tests.unit.producer.conftest import (
    EXPORTS,
    START,
    FakeClock,
    FakeExportStates,
    bearer,
)

from conveyor_common.jobs import JobStatus


def stored(export_states: FakeExportStates, **overrides: Any) -> uuid.UUID:
    return export_states.add(**overrides).export_id


@pytest.mark.parametrize(
    ("caller", "status"),
    [
        (bearer(sub="alice"), 200),
        (bearer(sub="root", roles=("admin",)), 200),
        (bearer(sub="bob"), 404),
        (bearer(sub="bob", roles=("auditor",)), 404),
        (bearer(sub="alice", tenant="globex"), 404),
        (bearer(sub="root", tenant="globex", roles=("admin",)), 404),
    ],
    ids=["owner", "admin", "other-user", "other-role", "other-tenant", "other-tenant-admin"],
)
def test_an_export_is_visible_to_its_requester_and_its_tenants_admins_only(
    client: TestClient[Any], export_states: FakeExportStates, caller: dict[str, str], status: int
) -> None:
    # given alice's export at tenant acme
    export_id = stored(export_states, requested_by="alice")

    response = client.get(f"{EXPORTS}/{export_id}", headers=caller)

    assert response.status_code == status
    if status == 404:
        assert response.json()["type"].endswith("/export-not-found")


def test_an_unknown_export_is_404(client: TestClient[Any]) -> None:
    response = client.get(f"{EXPORTS}/{uuid.uuid4()}", headers=bearer())

    assert response.status_code == 404


def test_a_running_export_shows_its_live_progress(
    client: TestClient[Any], export_states: FakeExportStates
) -> None:
    export_id = stored(
        export_states,
        status=JobStatus.PROCESSING,
        progress_percentage=40,
        started_at=START + timedelta(seconds=3),
        title="Weekly",
    )

    body = client.get(f"{EXPORTS}/{export_id}", headers=bearer()).json()

    assert body["status"] == "PROCESSING"
    assert body["progressPercentage"] == 40
    assert body["estimatedRowCount"] == 42
    assert body["actualRowCount"] is None
    assert body["format"] == "csv"
    assert body["resource"] == "orders"
    assert body["title"] == "Weekly"
    assert body["startedAt"] == "2024-05-17T09:30:03Z"
    assert body["expiresAt"] == "2024-06-16T09:30:00Z"
    assert "downloadUrl" not in body
    assert "downloadUrlExpiresAt" not in body


def test_a_completed_export_has_a_fresh_download_link_valid_for_an_hour(
    client: TestClient[Any], export_states: FakeExportStates, clock: FakeClock
) -> None:
    key = "exports/acme/x/orders.csv"
    export_id = stored(
        export_states,
        status=JobStatus.COMPLETED,
        progress_percentage=100,
        actual_row_count=41,
        file_size_bytes=2048,
        object_key=key,
        completed_at=START + timedelta(minutes=1),
    )
    clock.advance(timedelta(days=2))

    body = client.get(f"{EXPORTS}/{export_id}", headers=bearer()).json()

    assert body["status"] == "COMPLETED"
    assert body["downloadUrl"] == f"https://exports.example/{key}?expires=3600"
    assert body["downloadUrlExpiresAt"] == "2024-05-19T10:30:00Z"
    assert (body["actualRowCount"], body["fileSizeBytes"]) == (41, 2048)


def test_a_link_never_outlives_the_export(
    client: TestClient[Any], export_states: FakeExportStates, clock: FakeClock
) -> None:
    export_id = stored(export_states, status=JobStatus.COMPLETED, object_key="exports/a/b.csv")
    # ten minutes before the export expires
    clock.advance(timedelta(days=30) - timedelta(minutes=10))

    body = client.get(f"{EXPORTS}/{export_id}", headers=bearer()).json()

    assert body["downloadUrlExpiresAt"] == body["expiresAt"]


@pytest.mark.parametrize("status", [JobStatus.QUEUED, JobStatus.FAILED, JobStatus.CANCELLED])
def test_no_download_link_unless_completed(
    client: TestClient[Any], export_states: FakeExportStates, status: JobStatus
) -> None:
    export_id = stored(export_states, status=status, object_key="exports/acme/x/orders.csv")

    body = client.get(f"{EXPORTS}/{export_id}", headers=bearer()).json()

    assert body["status"] == status.value
    assert "downloadUrl" not in body


def test_a_failed_export_shows_its_error(
    client: TestClient[Any], export_states: FakeExportStates
) -> None:
    export_id = stored(export_states, status=JobStatus.FAILED, error="the database went away")

    body = client.get(f"{EXPORTS}/{export_id}", headers=bearer()).json()

    assert body["error"] == "the database went away"


def test_an_export_past_its_expiry_is_410_gone(
    client: TestClient[Any], export_states: FakeExportStates, clock: FakeClock
) -> None:
    export_id = stored(export_states, status=JobStatus.COMPLETED, object_key="exports/a/b.csv")
    path = f"{EXPORTS}/{export_id}"
    clock.advance(timedelta(days=30) - timedelta(seconds=1))
    assert client.get(path, headers=bearer()).status_code == 200

    clock.advance(timedelta(seconds=1))
    response = client.get(path, headers=bearer())

    assert response.status_code == 410
    assert response.json()["type"].endswith("/export-expired")


def test_an_expired_export_of_someone_else_stays_404(
    client: TestClient[Any], export_states: FakeExportStates, clock: FakeClock
) -> None:
    export_id = stored(export_states)
    clock.advance(timedelta(days=31))

    response = client.get(f"{EXPORTS}/{export_id}", headers=bearer(sub="bob"))

    assert response.status_code == 404


def test_reading_needs_a_token(client: TestClient[Any], export_states: FakeExportStates) -> None:
    assert client.get(f"{EXPORTS}/{stored(export_states)}").status_code == 401
