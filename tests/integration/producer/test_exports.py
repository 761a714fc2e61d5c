"""The producer's export API against the moto server and real PostgreSQL, called in-process."""

from __future__ import annotations

import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from litestar.testing import TestClient

# The same settings as the order tests; EXPORTS_BUCKET comes from the `aws` environment.
from tests.integration.producer.test_orders import SECRET, producer_settings

from conveyor_aws import clients
from conveyor_aws.job_store import LeasedJobStore
from conveyor_aws.resources import ResourceNames
from conveyor_aws.state_store import StateStore
from conveyor_common.envelope import Envelope, decode
from conveyor_common.events import ExportRequested
from conveyor_common.exports.job import EXPORT_JOBS, ExportResult
from conveyor_common.jobs import JobStatus
from conveyor_producer.acceptance.idempotency_store import KeyOwner, record_key
from conveyor_producer.app import real_app
from conveyor_producer.exports.service import EXPORT_KEYS
from conveyor_producer.jobs.rules import MAX_PAGE
from conveyor_producer.token import issue_token

pytestmark = pytest.mark.integration

TENANT = "tenant-exports-int"
OTHER_TENANT = "tenant-exports-other"
EXPORTS_PATH = "/api/v1/exports"
DELIVERY_TIMEOUT_SECONDS = 30
NAMES = ResourceNames()
T0 = datetime(2024, 3, 1, tzinfo=UTC)


def caller(
    sub: str = "grace", *, tenant: str = TENANT, roles: tuple[str, ...] = ("exporter",)
) -> dict[str, str]:
    token = issue_token(SECRET, sub=sub, tenant=tenant, roles=roles, email=f"{sub}@example.com")
    return {"Authorization": f"Bearer {token}"}


def seed_orders(database_url: str, tenant: str, currency: str, count: int) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        # One statement, so the orders and their items commit together.
        conn.execute(
            "WITH seeded AS (INSERT INTO orders (order_id, tenant_id, customer_id, "
            "customer_email, currency, total_amount, item_count, created_at, event_id, "
            "correlation_id) "
            "SELECT gen_random_uuid(), %(tenant)s, 'cust-' || n, 'c' || n || '@example.com', "
            "%(currency)s, n, 1, %(t0)s + n * interval '1 minute', gen_random_uuid(), 'seed' "
            "FROM generate_series(1, %(count)s) AS n RETURNING order_id, total_amount) "
            "INSERT INTO order_items (order_id, line_no, sku, name, quantity, unit_price, "
            "line_total) SELECT order_id, 1, 'SKU', 'thing', 1, total_amount, total_amount "
            "FROM seeded",
            {"tenant": tenant, "currency": currency, "count": count, "t0": T0},
        )


def seed_export_jobs(database_url: str, rows: list[tuple[str, str, JobStatus, int]]) -> list[str]:
    """export_jobs rows as the processor writes them: (tenant, requester, status, minute)."""
    ids = []
    with psycopg.connect(database_url, autocommit=True) as conn:
        for tenant, requester, status, minute in rows:
            export_id = uuid.uuid4()
            created = T0 + timedelta(minutes=minute)
            conn.execute(
                "INSERT INTO export_jobs (export_id, tenant_id, requested_by, resource, format, "
                "status, filters, estimated_row_count, created_at, expires_at) "
                "VALUES (%s, %s, %s, 'orders', 'csv', %s, '{}', 10, %s, %s)",
                (export_id, tenant, requester, status.value, created, created + timedelta(30)),
            )
            ids.append(str(export_id))
    return ids


def receive_requested(queue: str, export_id: str) -> Envelope | None:
    """The ExportRequested envelope of `export_id` from `queue`, polled until the deadline."""
    sqs = clients.sqs()
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    deadline = time.monotonic() + DELIVERY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        )
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            envelope = decode(message["Body"])
            if (
                isinstance(envelope.payload, ExportRequested)
                and str(envelope.payload.export_id) == export_id
            ):
                return envelope
    return None


def queued_messages(queue: str) -> list[str]:
    """Whatever `queue` holds right now (SNS delivers to every queue before publish returns)."""
    sqs = clients.sqs()
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    return [message["Body"] for message in messages.get("Messages", [])]


def test_an_export_is_counted_queued_and_sent_to_the_processor_only(
    client: TestClient[Any], db: str
) -> None:
    # given 3 EUR and 2 USD orders of this tenant and 4 EUR orders of another
    seed_orders(db, TENANT, "EUR", 3)
    seed_orders(db, TENANT, "USD", 2)
    seed_orders(db, OTHER_TENANT, "EUR", 4)

    # when an export of the EUR orders is requested
    response = client.post(
        EXPORTS_PATH,
        json={"resource": "orders", "format": "xlsx", "filters": {"currency": "eur"}},
        headers={**caller(), "X-Correlation-ID": "int-export-1"},
    )

    # then it is accepted with the tenant's count and is QUEUED at once
    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["status"], body["estimatedRowCount"]) == ("QUEUED", 3)
    read = client.get(response.headers["location"], headers=caller())
    assert read.status_code == 200
    assert read.json()["status"] == "QUEUED"

    # and the processor's queue receives ExportRequested; the notifier's does not
    envelope = receive_requested(NAMES.queue("processor"), body["exportId"])
    assert envelope is not None
    assert envelope.tenant_id == TENANT
    assert envelope.correlation_id == "int-export-1"
    assert isinstance(envelope.payload, ExportRequested)
    assert envelope.payload.notify == ("grace@example.com",)
    assert envelope.payload.estimated_row_count == 3
    assert queued_messages(NAMES.queue("notifier")) == []


def test_more_rows_than_a_pdf_holds_is_422_but_fits_a_csv(client: TestClient[Any], db: str) -> None:
    seed_orders(db, TENANT, "EUR", 20_001)

    pdf = client.post(EXPORTS_PATH, json={"resource": "orders", "format": "pdf"}, headers=caller())
    csv = client.post(EXPORTS_PATH, json={"resource": "orders", "format": "csv"}, headers=caller())

    assert pdf.status_code == 422
    assert "20,001 rows match" in pdf.json()["detail"]
    assert "at most 20,000 rows" in pdf.json()["detail"]
    assert csv.status_code == 202
    assert csv.json()["estimatedRowCount"] == 20_001


def test_an_unknown_column_is_422(client: TestClient[Any]) -> None:
    response = client.post(
        EXPORTS_PATH,
        json={"resource": "orders", "format": "csv", "columns": ["orderId", "secret"]},
        headers=caller(),
    )

    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["columns"]


def test_a_retry_after_a_failed_publish_delivers_the_first_event(
    aws: dict[str, str], db: str
) -> None:
    # given an instance whose topic does not exist, so publishing fails
    headers = {**caller(), "Idempotency-Key": "int-export-key"}
    body = {"resource": "orders", "format": "csv"}
    broken = producer_settings(aws, db).model_copy(
        update={"events_topic_arn": aws["EVENTS_TOPIC_ARN"] + "-missing"}
    )
    with TestClient(real_app(broken)) as client:
        failed = client.post(EXPORTS_PATH, json=body, headers=headers)
    assert failed.status_code == 503
    assert "retry-after" in failed.headers
    pending = StateStore(table=aws["STATE_TABLE"]).get(
        record_key(KeyOwner(TENANT, "grace"), "int-export-key"), EXPORT_KEYS.sort_key
    )
    assert pending is not None
    assert pending["status"] == "PENDING"

    # when the caller retries against a healthy instance
    with TestClient(real_app(producer_settings(aws, db))) as client:
        retry = client.post(EXPORTS_PATH, json=body, headers=headers)
        read = client.get(f"{EXPORTS_PATH}/{pending['export_id']}", headers=caller())

    # then the first attempt's export and event are the ones delivered
    assert retry.status_code == 202
    assert retry.json()["exportId"] == pending["export_id"]
    assert read.json()["status"] == "QUEUED"
    envelope = receive_requested(NAMES.queue("processor"), pending["export_id"])
    assert envelope is not None
    assert str(envelope.event_id) == pending["event_id"]


def test_a_queued_export_is_cancelled_and_hidden_from_others(client: TestClient[Any]) -> None:
    export_id = client.post(
        EXPORTS_PATH, json={"resource": "order_items", "format": "csv"}, headers=caller()
    ).json()["exportId"]
    cancel_path = f"{EXPORTS_PATH}/{export_id}/cancel"

    assert client.post(cancel_path, headers=caller("mallory")).status_code == 404
    assert client.get(f"{EXPORTS_PATH}/{export_id}", headers=caller("mallory")).status_code == 404
    other_admin = caller("root", tenant=OTHER_TENANT, roles=("admin",))
    assert client.get(f"{EXPORTS_PATH}/{export_id}", headers=other_admin).status_code == 404
    cancelled = client.post(cancel_path, headers=caller())
    again = client.post(cancel_path, headers=caller())

    assert cancelled.status_code == 202
    assert cancelled.json()["status"] == "CANCELLED"
    assert again.status_code == 200
    read = client.get(f"{EXPORTS_PATH}/{export_id}", headers=caller("root", roles=("admin",)))
    assert read.json()["status"] == "CANCELLED"


def test_a_completed_export_links_to_its_file(client: TestClient[Any], aws: dict[str, str]) -> None:
    # given an accepted export that a worker finished, its file in the bucket
    export_id = client.post(
        EXPORTS_PATH, json={"resource": "orders", "format": "csv"}, headers=caller()
    ).json()["exportId"]
    key = f"exports/{TENANT}/{export_id}/orders.csv"
    clients.s3().put_object(Bucket=aws["EXPORTS_BUCKET"], Key=key, Body=b"Order ID\r\n")
    states = LeasedJobStore(StateStore(table=aws["STATE_TABLE"]), EXPORT_JOBS)
    now = datetime.now(UTC)
    assert states.claim(uuid.UUID(export_id), owner="w1", lease_seconds=60, now=now)
    finished = states.finish(
        uuid.UUID(export_id),
        owner="w1",
        status=JobStatus.COMPLETED,
        now=now,
        result=ExportResult(object_key=key, actual_row_count=0, file_size_bytes=10),
    )
    assert finished is not None

    # when it is read
    body = client.get(f"{EXPORTS_PATH}/{export_id}", headers=caller()).json()

    # then its presigned link downloads the file
    assert body["status"] == "COMPLETED"
    with urllib.request.urlopen(body["downloadUrl"], timeout=10) as download:  # noqa: S310
        assert download.read() == b"Order ID\r\n"
    cancel = client.post(f"{EXPORTS_PATH}/{export_id}/cancel", headers=caller())
    assert cancel.status_code == 409


def test_the_list_is_newest_first_scoped_filtered_and_paged(
    client: TestClient[Any], db: str
) -> None:
    # given grace's four exports, bob's one, and one of another tenant
    grace = seed_export_jobs(
        db,
        [
            (TENANT, "grace", JobStatus.COMPLETED, 1),
            (TENANT, "grace", JobStatus.FAILED, 2),
            (TENANT, "grace", JobStatus.COMPLETED, 3),
            (TENANT, "grace", JobStatus.QUEUED, 4),
        ],
    )
    [bob] = seed_export_jobs(db, [(TENANT, "bob", JobStatus.COMPLETED, 5)])
    [other] = seed_export_jobs(db, [(OTHER_TENANT, "grace", JobStatus.COMPLETED, 6)])

    def listed(headers: dict[str, str], **params: Any) -> dict[str, Any]:
        response = client.get(EXPORTS_PATH, params=params, headers=headers)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def ids(page: dict[str, Any]) -> list[str]:
        return [item["exportId"] for item in page["items"]]

    mine = listed(caller())
    assert (ids(mine), mine["total"]) == (grace[::-1], 4)
    assert mine["items"][0]["status"] == "QUEUED"
    completed = listed(caller(), status="COMPLETED")
    assert (ids(completed), completed["total"]) == ([grace[2], grace[0]], 2)
    second_page = listed(caller(), page=2, limit=3)
    assert (ids(second_page), second_page["total"]) == ([grace[0]], 4)
    assert ids(listed(caller(), page=3, limit=3)) == []
    admin = listed(caller("root", roles=("admin",)))
    assert ids(admin) == [bob, *grace[::-1]]
    assert ids(listed(caller(tenant=OTHER_TENANT))) == [other]


@pytest.mark.parametrize("page", ["9223372036854775807", "461168601842738792", "10001"])
def test_a_page_past_the_last_allowed_is_400_naming_it_not_a_database_error(
    client: TestClient[Any], page: str
) -> None:
    # PostgreSQL's OFFSET is a bigint; (page - 1) * 20 overflows it from page 461168601842738792
    response = client.get(EXPORTS_PATH, params={"page": page}, headers=caller())

    assert response.status_code == 400, response.text
    assert [error["field"] for error in response.json()["errors"]] == ["page"]


def test_the_deepest_page_allowed_is_served(client: TestClient[Any], db: str) -> None:
    seed_export_jobs(db, [(TENANT, "grace", JobStatus.COMPLETED, 1)])

    response = client.get(EXPORTS_PATH, params={"page": MAX_PAGE, "limit": 100}, headers=caller())

    assert response.status_code == 200, response.text
    assert (response.json()["items"], response.json()["total"]) == ([], 1)


def test_nul_in_an_order_filter_or_title_is_refused_before_postgresql_sees_it(
    client: TestClient[Any],
) -> None:
    body = {"resource": "orders", "format": "xlsx", "filters": {"customerId": "a\x00b"}}

    filtered = client.post(EXPORTS_PATH, json=body, headers=caller())
    titled = client.post(
        EXPORTS_PATH,
        json={"resource": "orders", "format": "xlsx", "title": "T\x00itle"},
        headers=caller(),
    )

    assert [error["field"] for error in filtered.json()["errors"]] == ["filters.customerId"]
    assert [error["field"] for error in titled.json()["errors"]] == ["title"]
