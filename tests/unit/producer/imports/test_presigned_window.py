"""A presigned upload's window over HTTP, with the fakes and a fake clock: `complete` is
taken until expiresAt plus the grace, then 410; a file never completed reads FAILED from
then on and is never imported; a completed one never reads FAILED."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from litestar.testing import TestClient
from tests.unit.producer.conftest import (
    FILES,
    UPLOAD_LIMITS,
    FakeClock,
    FakePublisher,
    FakeStore,
    FakeUploads,
    bearer,
)

from conveyor_aws.job_store import partition_key
from conveyor_common.imports.job import IMPORT_JOBS
from conveyor_producer.imports.window_store import WINDOW_SK

ALICE = bearer(email="alice@example.com")
SIZE = 1000
PRESIGN = {"fileName": "big.csv", "contentType": "text/csv", "sizeBytes": SIZE}
GRACE = timedelta(seconds=UPLOAD_LIMITS.presigned_grace_seconds)


def presign(client: TestClient[Any]) -> dict[str, Any]:
    response = client.post(FILES, json=PRESIGN, headers=ALICE)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def expires_at(body: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(body["expiresAt"])


def store_the_file(uploads: FakeUploads, body: dict[str, Any]) -> None:
    uploads.objects[body["fields"]["key"]] = (b"x" * SIZE, "text/csv")


def window_state(store: FakeStore, body: dict[str, Any]) -> str:
    item = store.items[(partition_key(IMPORT_JOBS, body["fileId"]), WINDOW_SK)]
    state: str = item["state"]
    return state


def test_the_answer_expires_after_the_configured_lifetime(
    client: TestClient[Any], clock: FakeClock
) -> None:
    body = presign(client)

    lifetime = timedelta(seconds=UPLOAD_LIMITS.presigned_post_seconds)
    assert expires_at(body) == clock.now + lifetime


def test_complete_after_the_window_closed_is_410_and_the_file_failed(
    client: TestClient[Any], clock: FakeClock, uploads: FakeUploads, publisher: FakePublisher
) -> None:
    body = presign(client)
    clock.now = expires_at(body) + GRACE
    # A file that lands late changes nothing: the window has closed.
    store_the_file(uploads, body)

    response = client.post(body["links"]["complete"], headers=ALICE)

    assert response.status_code == 410
    problem = response.json()
    assert problem["type"].endswith("/upload-expired")
    assert response.headers["content-type"].startswith("application/problem+json")
    deadline = expires_at(body).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert problem["detail"].startswith(f"the upload was not completed before {deadline}")
    view = client.get(body["links"]["self"], headers=ALICE).json()
    assert (view["status"], view["errorMessage"]) == (
        "FAILED",
        f"the upload was not completed before {deadline}",
    )
    assert publisher.published == []


def test_a_file_never_completed_reads_pending_until_the_grace_ends_then_failed(
    client: TestClient[Any], clock: FakeClock, store: FakeStore
) -> None:
    body = presign(client)

    clock.now = expires_at(body) + GRACE - timedelta(seconds=1)
    assert client.get(body["links"]["self"], headers=ALICE).json()["status"] == "PENDING"
    assert window_state(store, body) == "OPEN"

    clock.now += timedelta(seconds=1)
    view = client.get(body["links"]["self"], headers=ALICE).json()

    assert view["status"] == "FAILED"
    assert view["errorMessage"].startswith("the upload was not completed before ")
    assert view["processedAt"] == view["updatedAt"]
    assert datetime.fromisoformat(view["processedAt"]) == expires_at(body) + GRACE
    # Persisted at that first read: no later complete can start it.
    assert window_state(store, body) == "EXPIRED"


def test_after_a_read_ended_the_window_the_file_is_never_imported(
    client: TestClient[Any], clock: FakeClock, uploads: FakeUploads, publisher: FakePublisher
) -> None:
    body = presign(client)
    clock.now = expires_at(body) + GRACE
    assert client.get(body["links"]["self"], headers=ALICE).json()["status"] == "FAILED"
    store_the_file(uploads, body)

    first = client.post(body["links"]["complete"], headers=ALICE)
    again = client.post(body["links"]["complete"], headers=ALICE)

    assert first.status_code == again.status_code == 410
    assert publisher.published == []
    cancel = client.post(f"{body['links']['self']}/cancel", headers=ALICE)
    assert (cancel.status_code, cancel.json()["type"].split("/")[-1]) == (409, "import-finished")


def test_an_upload_in_flight_at_the_deadline_is_completed_in_the_grace(
    client: TestClient[Any], clock: FakeClock, uploads: FakeUploads, publisher: FakePublisher
) -> None:
    body = presign(client)
    clock.now = expires_at(body) + timedelta(seconds=1)
    assert client.post(body["links"]["complete"], headers=ALICE).status_code == 409

    store_the_file(uploads, body)
    assert client.post(body["links"]["complete"], headers=ALICE).status_code == 202

    assert len(publisher.published) == 1


def test_a_completed_file_never_reads_failed_and_completes_again_the_same(
    client: TestClient[Any],
    clock: FakeClock,
    uploads: FakeUploads,
    publisher: FakePublisher,
    store: FakeStore,
) -> None:
    body = presign(client)
    store_the_file(uploads, body)
    first = client.post(body["links"]["complete"], headers=ALICE)
    # The processor has not claimed it yet, long after the window closed.
    clock.now = expires_at(body) + GRACE + timedelta(hours=1)

    again = client.post(body["links"]["complete"], headers=ALICE)
    view = client.get(body["links"]["self"], headers=ALICE).json()

    assert first.status_code == again.status_code == 202
    assert first.json() == again.json()
    assert (view["status"], view["errorMessage"]) == ("PENDING", None)
    assert window_state(store, body) == "COMPLETED"
    assert len(publisher.published) == 1


def test_a_streamed_upload_waiting_for_a_worker_never_expires(
    client: TestClient[Any], clock: FakeClock
) -> None:
    response = client.post(
        f"{FILES}/upload", files={"file": ("o.csv", b"orderId\nA\n", "text/csv")}, headers=ALICE
    )
    clock.advance(timedelta(days=2))

    view = client.get(response.json()["links"]["self"], headers=ALICE).json()

    assert view["status"] == "PENDING"


def test_a_file_cancelled_in_its_window_stays_cancelled(
    client: TestClient[Any], clock: FakeClock
) -> None:
    body = presign(client)
    assert client.post(f"{body['links']['self']}/cancel", headers=ALICE).status_code == 202
    clock.now = expires_at(body) + GRACE

    view = client.get(body["links"]["self"], headers=ALICE).json()

    assert (view["status"], view["errorMessage"]) == ("CANCELLED", None)


def test_complete_after_a_cancel_in_the_window_is_409_and_imports_nothing(
    client: TestClient[Any], uploads: FakeUploads, publisher: FakePublisher
) -> None:
    body = presign(client)
    assert client.post(f"{body['links']['self']}/cancel", headers=ALICE).status_code == 202
    store_the_file(uploads, body)

    response = client.post(body["links"]["complete"], headers=ALICE)

    assert response.status_code == 409
    assert response.json()["type"].endswith("/import-finished")
    assert response.json()["detail"] == "the import was cancelled before its file was completed"
    assert publisher.published == []


def test_the_openapi_document_types_the_410_of_complete(client: TestClient[Any]) -> None:
    schema = client.get("/schema/openapi.json").json()

    complete = schema["paths"]["/api/v1/files/{file_id}/complete"]["post"]

    assert complete["responses"]["410"]["content"]["application/problem+json"]
    assert "410 Gone" in complete["description"]
