"""POST /api/v1/files/upload: streamed to the uploads bucket, recorded then published,
limits, types, Idempotency-Key by SHA-256, and GET right after the 202."""

from __future__ import annotations

import hashlib
from typing import Any

from litestar.testing import TestClient
from tests.unit.producer.conftest import (
    FILES,
    TENANT,
    UPLOAD_LIMITS,
    FakeImportStates,
    FakePublisher,
    FakeUploads,
    bearer,
)

from conveyor_common.events import FileUploaded
from conveyor_common.imports.model import FileType, ImportMode
from conveyor_common.jobs import JobStatus

ALICE = bearer(email="Alice@Example.com")
CSV = b"orderId,customerId\r\nA-1,c-1\r\n"


def upload(
    client: TestClient[Any],
    content: bytes = CSV,
    *,
    name: str = "orders.csv",
    content_type: str = "text/csv",
    headers: dict[str, str] | None = None,
    **fields: str,
) -> Any:
    return client.post(
        f"{FILES}/upload",
        files={"file": (name, content, content_type)},
        data=fields,
        headers=headers or ALICE,
    )


def test_an_upload_is_stored_recorded_then_published(
    client: TestClient[Any],
    uploads: FakeUploads,
    import_states: FakeImportStates,
    publisher: FakePublisher,
) -> None:
    response = upload(client, mode="validate")

    assert response.status_code == 202, response.text
    body = response.json()
    assert body["status"] == "PENDING"
    file_id = body["fileId"]
    assert response.headers["location"] == body["links"]["self"] == f"{FILES}/{file_id}"
    key = f"uploads/{TENANT}/{file_id}/orders.csv"
    assert uploads.objects[key] == (CSV, "text/csv")
    event = publisher.published[0].of(FileUploaded).payload
    assert (event.object_key, event.file_type, event.mode) == (
        key,
        FileType.CSV,
        ImportMode.VALIDATE,
    )
    assert event.sha256 == hashlib.sha256(CSV).hexdigest()
    assert event.notify == ("alice@example.com",)
    assert import_states.jobs[event.file_id].status is JobStatus.QUEUED


def test_get_right_after_the_202_answers_pending(client: TestClient[Any]) -> None:
    file_id = upload(client).json()["fileId"]

    response = client.get(f"{FILES}/{file_id}", headers=ALICE)

    assert response.status_code == 200
    assert response.json()["status"] == "PENDING"
    assert response.json()["fileSize"] == len(CSV)


def test_a_hostile_file_name_is_stored_as_one_safe_segment(
    client: TestClient[Any], uploads: FakeUploads
) -> None:
    # Built by hand: HTTP clients escape control characters in file names, a hostile one need not.
    body = (
        b'--b\r\nContent-Disposition: form-data; name="file"; '
        + 'filename="../../x/\x07evil\u202e.csv"'.encode()
        + b"\r\nContent-Type: text/csv\r\n\r\n"
        + CSV
        + b"\r\n--b--\r\n"
    )
    response = client.post(
        f"{FILES}/upload",
        content=body,
        headers={**ALICE, "Content-Type": "multipart/form-data; boundary=b"},
    )
    file_id = response.json()["fileId"]

    assert list(uploads.objects) == [f"uploads/{TENANT}/{file_id}/evil.csv"]


def test_the_type_falls_back_on_the_extension(client: TestClient[Any]) -> None:
    response = upload(client, b'{"orderId": "A"}\n', name="o.ndjson", content_type="text/plain")

    assert response.status_code == 202


def test_another_type_is_415(client: TestClient[Any], publisher: FakePublisher) -> None:
    response = upload(client, b"GIF89a", name="cat.gif", content_type="image/gif")

    assert response.status_code == 415
    assert response.json()["type"].endswith("/unsupported-file-type")
    assert publisher.published == []


def test_an_empty_file_is_400(client: TestClient[Any]) -> None:
    response = upload(client, b"")

    assert response.status_code == 400
    assert response.json()["type"].endswith("/empty-file")


def test_a_form_without_file_is_400(client: TestClient[Any]) -> None:
    response = client.post(f"{FILES}/upload", data={"mode": "import"}, files={}, headers=ALICE)

    assert response.status_code in (400, 415)
    response = client.post(
        f"{FILES}/upload",
        content=b'--b\r\nContent-Disposition: form-data; name="mode"\r\n\r\nimport\r\n--b--\r\n',
        headers={**ALICE, "Content-Type": "multipart/form-data; boundary=b"},
    )
    assert response.status_code == 400
    assert response.json()["type"].endswith("/missing-file")


def test_a_file_beyond_the_limit_is_413_and_stores_nothing(
    client: TestClient[Any], uploads: FakeUploads
) -> None:
    response = upload(client, b"x" * (UPLOAD_LIMITS.max_upload_bytes + 1))

    assert response.status_code == 413
    assert response.json()["type"].endswith("/file-too-large")
    assert uploads.objects == {}


def test_a_file_at_the_limit_is_taken_beyond_the_api_wide_body_limit(
    client: TestClient[Any], uploads: FakeUploads
) -> None:
    # The settings fixture's API-wide limit is 64 KiB; the upload limit is 256 KiB.
    response = upload(client, b"x" * UPLOAD_LIMITS.max_upload_bytes)

    assert response.status_code == 202, response.text
    # Read back from the spooled file in chunks, never whole.
    assert max(uploads.reads) <= 64 * 1024


def test_a_bad_mode_is_422(client: TestClient[Any]) -> None:
    assert upload(client, mode="delete").status_code == 422


def test_uploading_takes_the_exporter_or_admin_role(client: TestClient[Any]) -> None:
    assert upload(client, headers=bearer(roles=("viewer",))).status_code == 403
    assert upload(client, headers=bearer(roles=("admin",))).status_code == 202


def test_a_retry_with_the_same_key_and_file_gets_the_first_answer(
    client: TestClient[Any], publisher: FakePublisher, uploads: FakeUploads
) -> None:
    keyed = {**ALICE, "Idempotency-Key": "k-1"}

    first = upload(client, headers=keyed)
    second = upload(client, headers=keyed)

    assert first.status_code == second.status_code == 202
    assert first.json() == second.json()
    assert len(publisher.published) == 1
    assert len(uploads.objects) == 1


def test_a_key_reused_with_another_file_is_422(
    client: TestClient[Any], publisher: FakePublisher
) -> None:
    keyed = {**ALICE, "Idempotency-Key": "k-2"}
    upload(client, headers=keyed)

    response = upload(client, CSV + b"A-2,c-2\r\n", headers=keyed)

    assert response.status_code == 422
    assert response.json()["type"].endswith("/idempotency-key-reused")
    assert len(publisher.published) == 1
