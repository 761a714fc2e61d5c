"""The files resource beyond the streamed upload: presigned uploads and their
completion, reads with the error report, listings, cancels and templates."""

from __future__ import annotations

import csv
import io
import json
import uuid
from typing import Any

from litestar.testing import TestClient
from tests.unit.producer.conftest import (
    FILES,
    TENANT,
    FakeImportHistory,
    FakeImportStates,
    FakePublisher,
    FakeUploads,
    bearer,
)

from conveyor_common.events import FileUploaded
from conveyor_common.imports.model import CSV_COLUMNS
from conveyor_common.jobs import JobStatus

ALICE = bearer(email="alice@example.com")
PRESIGN = {"fileName": "big.csv", "contentType": "text/csv", "sizeBytes": 1000}


def presign(client: TestClient[Any], **overrides: Any) -> Any:
    return client.post(FILES, json={**PRESIGN, **overrides}, headers=ALICE)


def test_a_presigned_upload_is_pending_until_completed(
    client: TestClient[Any], publisher: FakePublisher
) -> None:
    response = presign(client)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["fields"]["Content-Type"] == "text/csv"
    assert body["fields"]["key"] == f"uploads/{TENANT}/{body['fileId']}/big.csv"
    assert client.get(body["links"]["self"], headers=ALICE).json()["status"] == "PENDING"
    assert publisher.published == []


def test_complete_publishes_once_when_the_object_is_as_declared(
    client: TestClient[Any], publisher: FakePublisher, uploads: FakeUploads
) -> None:
    body = presign(client).json()
    uploads.objects[body["fields"]["key"]] = (b"x" * 1000, "text/csv")

    first = client.post(body["links"]["complete"], headers=ALICE)
    second = client.post(body["links"]["complete"], headers=ALICE)

    assert first.status_code == second.status_code == 202
    assert first.json() == second.json()
    assert [e.of(FileUploaded).payload.file_id for e in publisher.published] == [
        uuid.UUID(body["fileId"])
    ]


def test_complete_before_the_upload_is_409_and_a_wrong_size_422(
    client: TestClient[Any], uploads: FakeUploads
) -> None:
    body = presign(client).json()
    assert client.post(body["links"]["complete"], headers=ALICE).status_code == 409

    uploads.objects[body["fields"]["key"]] = (b"x" * 999, "text/csv")
    response = client.post(body["links"]["complete"], headers=ALICE)

    assert response.status_code == 422
    assert response.json()["type"].endswith("/upload-mismatch")


def test_another_tenants_file_is_not_found(client: TestClient[Any]) -> None:
    body = presign(client).json()
    other = bearer(tenant="globex")

    assert client.post(body["links"]["complete"], headers=other).status_code == 404
    assert client.get(body["links"]["self"], headers=other).status_code == 404


def test_a_presigned_size_beyond_the_limit_is_422(client: TestClient[Any]) -> None:
    assert presign(client, sizeBytes=50 * 1024 * 1024 + 1).status_code == 422
    assert presign(client, contentType="image/png", fileName="a.png").status_code == 415


def test_a_read_presigns_the_error_report_when_rows_were_rejected(
    client: TestClient[Any], import_states: FakeImportStates
) -> None:
    job = import_states.add(
        status=JobStatus.COMPLETED,
        rows_total=3,
        rows_imported=2,
        rows_unchanged=0,
        rows_rejected=1,
        error_report_key="uploads/acme/x/errors.csv",
        progress_percentage=100,
    )

    body = client.get(f"{FILES}/{job.file_id}", headers=ALICE).json()

    assert body["status"] == "COMPLETED"
    assert (body["rowsTotal"], body["rowsImported"], body["rowsRejected"]) == (3, 2, 1)
    assert (
        body["errorReportUrl"] == "https://uploads.example/uploads/acme/x/errors.csv?expires=3600"
    )


def test_a_listing_maps_pending_to_queued_and_scopes_to_the_caller(
    client: TestClient[Any], import_history: FakeImportHistory, import_states: FakeImportStates
) -> None:
    import_history.jobs = [import_states.add()]
    import_history.total = 7

    body = client.get(f"{FILES}?status=PENDING&page=2&limit=5", headers=ALICE).json()

    assert (body["total"], body["page"], body["limit"]) == (7, 2, 5)
    assert body["items"][0]["status"] == "PENDING"
    listing = import_history.listings[0]
    assert (listing.status, listing.requested_by, listing.offset) == (JobStatus.QUEUED, "alice", 5)
    client.get(FILES, headers=bearer(roles=("admin",)))
    assert import_history.listings[1].requested_by is None


def test_cancel_a_pending_import_then_again_then_a_finished_one(
    client: TestClient[Any], import_states: FakeImportStates
) -> None:
    job = import_states.add()
    done = import_states.add(status=JobStatus.COMPLETED)

    first = client.post(f"{FILES}/{job.file_id}/cancel", headers=ALICE)
    again = client.post(f"{FILES}/{job.file_id}/cancel", headers=ALICE)
    finished = client.post(f"{FILES}/{done.file_id}/cancel", headers=ALICE)

    assert (first.status_code, first.json()["status"]) == (202, "CANCELLED")
    assert again.status_code == 200
    assert finished.status_code == 409
    assert client.post(f"{FILES}/{job.file_id}/cancel", headers=bearer(roles=())).status_code == 403


def test_cancel_flags_a_running_import(
    client: TestClient[Any], import_states: FakeImportStates
) -> None:
    job = import_states.add(status=JobStatus.PROCESSING)

    body = client.post(f"{FILES}/{job.file_id}/cancel", headers=ALICE).json()

    assert (body["status"], body["cancelRequested"]) == ("PROCESSING", True)


def test_the_templates_hold_the_layout_and_one_order(client: TestClient[Any]) -> None:
    csv_response = client.get(f"{FILES}/template.csv", headers=ALICE)
    json_response = client.get(f"{FILES}/template.json", headers=ALICE)

    rows = list(csv.reader(io.StringIO(csv_response.text)))
    assert csv_response.headers["content-type"].startswith("text/csv")
    assert tuple(rows[0]) == CSV_COLUMNS
    assert {row[0] for row in rows[1:]} == {"ORD-1001"}
    orders = json.loads(json_response.content)
    assert [order["orderId"] for order in orders] == ["ORD-1001"]


def test_the_template_order_is_one_post_orders_accepts(client: TestClient[Any]) -> None:
    order = json.loads(client.get(f"{FILES}/template.json", headers=ALICE).content)[0]
    del order["orderId"]

    assert client.post("/api/v1/orders", json=order, headers=ALICE).status_code == 202


def test_a_presigned_request_with_a_member_it_does_not_know_is_422_naming_it(
    client: TestClient[Any], import_states: FakeImportStates
) -> None:
    body = {"fileName": "o.csv", "contentType": "text/csv", "sizeBytes": 10, "Mode": "validate"}

    response = client.post(FILES, json=body, headers=ALICE)

    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == ["Mode"]
    assert import_states.jobs == {}
