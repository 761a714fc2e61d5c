"""The producer's files API against the moto server and real PostgreSQL, called in-process:
streamed uploads land in the uploads bucket, presigned ones are completed once, and
FileUploaded reaches the processor's queue."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest
from litestar.testing import TestClient

# The same settings as the order tests; the buckets come from the `aws` environment.
from tests.integration.producer.test_orders import SECRET, producer_settings

from conveyor_aws import clients
from conveyor_aws.job_store import partition_key
from conveyor_aws.resources import ResourceNames
from conveyor_common.clock import utc_now
from conveyor_common.envelope import Envelope, decode
from conveyor_common.events import FileUploaded
from conveyor_common.imports.job import IMPORT_JOBS
from conveyor_common.imports.model import DEFAULT_MAX_UPLOAD_BYTES
from conveyor_common.jobs import JobStatus
from conveyor_producer.app import create_app
from conveyor_producer.composition import real_adapters
from conveyor_producer.imports.window_store import WINDOW_SK
from conveyor_producer.token import issue_token

pytestmark = pytest.mark.integration

TENANT = "tenant-files-int"
FILES = "/api/v1/files"
DELIVERY_TIMEOUT_SECONDS = 30
NAMES = ResourceNames()
CSV = (
    b"orderId,customerId,customerEmail,currency,sku,quantity,unitPrice\r\nA,c,c@x.io,EUR,S,1,2\r\n"
)
T0 = datetime(2024, 3, 1, tzinfo=UTC)


def caller(
    sub: str = "grace", *, tenant: str = TENANT, roles: tuple[str, ...] = ("exporter",)
) -> dict[str, str]:
    token = issue_token(SECRET, sub=sub, tenant=tenant, roles=roles, email=f"{sub}@example.com")
    return {"Authorization": f"Bearer {token}"}


def receive_uploaded(file_id: str) -> list[Envelope]:
    """Every FileUploaded of `file_id` the processor's queue gets within a few seconds."""
    sqs = clients.sqs()
    url = sqs.get_queue_url(QueueName=NAMES.queue("processor"))["QueueUrl"]
    found: list[Envelope] = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for message in messages.get("Messages", []):
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            envelope = decode(message["Body"])
            if (
                isinstance(envelope.payload, FileUploaded)
                and str(envelope.payload.file_id) == file_id
            ):
                found.append(envelope)
    return found


def test_an_upload_streams_to_the_private_bucket_and_is_pending(
    client: TestClient[Any], aws: dict[str, str]
) -> None:
    # Two multipart parts' worth: the upload goes to S3 by multipart upload.
    content = CSV + b"#" * (DEFAULT_MAX_UPLOAD_BYTES - len(CSV))
    response = client.post(
        f"{FILES}/upload", files={"file": ("../orders.csv", content, "text/csv")}, headers=caller()
    )

    assert response.status_code == 202, response.text
    file_id = response.json()["fileId"]
    key = f"uploads/{TENANT}/{file_id}/orders.csv"
    stored = clients.s3().get_object(Bucket=aws["UPLOADS_BUCKET"], Key=key)
    assert hashlib.sha256(stored["Body"].read()).hexdigest() == hashlib.sha256(content).hexdigest()
    assert stored["ContentType"] == "text/csv"
    view = client.get(f"{FILES}/{file_id}", headers=caller()).json()
    assert (view["status"], view["s3Key"], view["fileSize"]) == ("PENDING", key, len(content))
    [event] = receive_uploaded(file_id)
    assert event.of(FileUploaded).payload.object_key == key
    assert event.tenant_id == TENANT
    uploads = clients.s3().list_multipart_uploads(Bucket=aws["UPLOADS_BUCKET"])
    assert uploads.get("Uploads", []) == []


def test_an_upload_beyond_the_limit_is_413(client: TestClient[Any]) -> None:
    content = b"x" * (DEFAULT_MAX_UPLOAD_BYTES + 1)

    response = client.post(
        f"{FILES}/upload", files={"file": ("big.csv", content, "text/csv")}, headers=caller()
    )

    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_presigned_upload_is_completed_once(client: TestClient[Any], aws: dict[str, str]) -> None:
    answer = client.post(
        FILES,
        json={"fileName": "big.csv", "contentType": "text/csv", "sizeBytes": len(CSV)},
        headers=caller(),
    ).json()
    assert client.post(answer["links"]["complete"], headers=caller()).status_code == 409

    post_form(answer["url"], answer["fields"], CSV)
    first = client.post(answer["links"]["complete"], headers=caller())
    second = client.post(answer["links"]["complete"], headers=caller())

    assert first.status_code == second.status_code == 202
    assert len(receive_uploaded(answer["fileId"])) == 1
    assert (
        client.post(answer["links"]["complete"], headers=caller("eve", tenant="other")).status_code
        == 404
    )


def post_form(url: str, fields: dict[str, str], content: bytes) -> None:
    """POSTs the file to S3 as a browser would: the policy's fields, then the file."""
    response = httpx.post(url, data=fields, files={"file": ("f.csv", content, "text/csv")})
    assert response.status_code in (200, 201, 204), response.text


def test_cancel_a_pending_upload(client: TestClient[Any]) -> None:
    response = client.post(
        f"{FILES}/upload", files={"file": ("o.csv", CSV, "text/csv")}, headers=caller()
    )
    file_id = response.json()["fileId"]

    cancelled = client.post(f"{FILES}/{file_id}/cancel", headers=caller())

    assert (cancelled.status_code, cancelled.json()["status"]) == (202, "CANCELLED")


# Run after the merge with the processor's import job kind: its migration creates
# import_jobs (ImportJob's fields minus the live-only ones). On a branch without that
# migration this test fails at the INSERT.
def test_the_listing_reads_import_jobs_newest_first(client: TestClient[Any], db: str) -> None:
    ids = []
    with psycopg.connect(db, autocommit=True) as conn:
        for minute, (requester, status) in enumerate(
            [("grace", JobStatus.COMPLETED), ("grace", JobStatus.QUEUED), ("ada", JobStatus.QUEUED)]
        ):
            file_id = uuid.uuid4()
            ids.append(str(file_id))
            created = T0 + timedelta(minutes=minute)
            conn.execute(
                "INSERT INTO import_jobs (file_id, tenant_id, requested_by, original_name, "
                "bucket, object_key, file_type, file_size_bytes, mode, status, created_at, "
                "expires_at) "
                "VALUES (%s, %s, %s, 'o.csv', 'b', 'k', 'csv', 1, 'import', %s, %s, %s)",
                (file_id, TENANT, requester, status.value, created, created + timedelta(30)),
            )

    own = client.get(f"{FILES}?status=PENDING", headers=caller()).json()
    every = client.get(FILES, headers=caller(roles=("admin",))).json()

    assert [item["id"] for item in own["items"]] == [ids[1]]
    assert (own["total"], own["items"][0]["status"]) == (1, "PENDING")
    assert [item["id"] for item in every["items"]] == [ids[2], ids[1], ids[0]]


class MovableClock:
    """The wall clock, moved forward on demand: a presigned upload's window ends at once."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return utc_now() + self.offset


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def timed_client(aws: dict[str, str], db: str, clock: MovableClock) -> Iterator[TestClient[Any]]:
    """The real adapters with a short presigned lifetime and grace, and a movable clock."""
    settings = producer_settings(aws, db).model_copy(
        update={"presigned_post_seconds": 60, "presigned_grace_seconds": 30}
    )
    app = create_app(settings, replace(real_adapters(settings), clock=clock))
    with TestClient(app) as test_client:
        yield test_client


def presign(client: TestClient[Any]) -> dict[str, Any]:
    response = client.post(
        FILES,
        json={"fileName": "big.csv", "contentType": "text/csv", "sizeBytes": len(CSV)},
        headers=caller(),
    )
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_complete_after_the_window_closed_is_410_and_the_file_failed(
    timed_client: TestClient[Any], clock: MovableClock
) -> None:
    answer = presign(timed_client)
    expires_at = datetime.fromisoformat(answer["expiresAt"])
    clock.offset = timedelta(seconds=90)

    response = timed_client.post(answer["links"]["complete"], headers=caller())

    assert response.status_code == 410
    assert response.json()["type"].endswith("/upload-expired")
    view = timed_client.get(answer["links"]["self"], headers=caller()).json()
    assert view["status"] == "FAILED"
    assert view["errorMessage"] == (
        f"the upload was not completed before {expires_at:%Y-%m-%dT%H:%M:%SZ}"
    )


def test_an_abandoned_upload_reads_failed_and_is_never_imported(
    timed_client: TestClient[Any], clock: MovableClock, aws: dict[str, str]
) -> None:
    answer = presign(timed_client)
    # The file reached the bucket, but nobody completed it in time.
    post_form(answer["url"], answer["fields"], CSV)
    clock.offset = timedelta(seconds=89)
    assert timed_client.get(answer["links"]["self"], headers=caller()).json()["status"] == (
        "PENDING"
    )
    clock.offset = timedelta(seconds=91)

    view = timed_client.get(answer["links"]["self"], headers=caller()).json()
    late = timed_client.post(answer["links"]["complete"], headers=caller())

    assert (view["status"], late.status_code) == ("FAILED", 410)
    assert view["errorMessage"].startswith("the upload was not completed before ")
    window = clients.dynamodb().get_item(
        TableName=aws["STATE_TABLE"],
        Key={
            "pk": {"S": partition_key(IMPORT_JOBS, uuid.UUID(answer["fileId"]))},
            "sk": {"S": WINDOW_SK},
        },
        ConsistentRead=True,
    )["Item"]
    assert window["state"] == {"S": "EXPIRED"}
    assert receive_uploaded(answer["fileId"]) == []
    cancel = timed_client.post(f"{FILES}/{answer['fileId']}/cancel", headers=caller())
    assert cancel.status_code == 409
