"""Exports through the running services: request over REST, file streamed to S3 by the
processor, e-mail from the notifier, download through the presigned link."""

from __future__ import annotations

import csv
import io
import re
import signal
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import httpx
import openpyxl
import pypdf
import pytest

from conveyor_aws.job_store import LeasedJobStore
from conveyor_aws.publisher import EventPublisher
from conveyor_aws.state_store import StateStore
from conveyor_common.envelope import wrap
from conveyor_common.events import ExportRequested
from conveyor_common.exports.job import EXPORT_JOBS, ExportJob
from conveyor_common.exports.model import ExportFormat
from conveyor_common.jobs import JobStatus
from conveyor_devstack.mailbox import CapturedEmail, captured_emails
from conveyor_devstack.seed import seed_orders
from conveyor_devstack.stack import Stack

from .conftest import eventually, follow_email_link, mint_token, queue_depth

pytestmark = pytest.mark.e2e

EXPORTS = "/api/v1/exports"
START = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)
SLOW_SECONDS = 240.0


class Tenant:
    """A tenant of its own per test, with an exporter who has an e-mail address."""

    def __init__(self, stack: Stack) -> None:
        self.name = f"t-{uuid.uuid4().hex[:8]}"
        self.email = f"exporter-{uuid.uuid4().hex[:8]}@example.com"
        token = mint_token(stack, tenant=self.name, sub="exporter", roles="exporter")
        self.token = token
        self.api = httpx.Client(
            base_url=stack.producer_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )

    def seed(self, stack: Stack, count: int) -> None:
        seed_orders(str(stack.database_url), tenant=self.name, count=count, start=START)

    def request(self, **body: Any) -> httpx.Response:
        return self.api.post(EXPORTS, json={"resource": "orders", "notify": [self.email]} | body)


@pytest.fixture
def tenant(stack: Stack) -> Iterator[Tenant]:
    created = Tenant(stack)
    yield created
    created.api.close()


def record_job(
    stack: Stack,
    aws_client: Callable[[str], Any],
    tenant: Tenant,
    *,
    status: JobStatus,
    created_at: datetime,
    rows: int,
) -> ExportJob:
    """An export record as the producer writes it, straight into DynamoDB."""
    job = ExportJob(
        export_id=uuid.uuid4(),
        tenant_id=tenant.name,
        requested_by="exporter",
        resource="orders",
        format=ExportFormat.CSV,
        filters={},
        notify=(tenant.email,),
        status=status,
        estimated_row_count=rows,
        created_at=created_at,
        expires_at=created_at + timedelta(days=30),
    )
    states = LeasedJobStore(
        StateStore(table=stack.env["STATE_TABLE"], client=aws_client("dynamodb")), EXPORT_JOBS
    )
    assert states.create(job)
    return job


def finished(tenant: Tenant, export_id: str) -> dict[str, Any] | None:
    body: dict[str, Any] = tenant.api.get(f"{EXPORTS}/{export_id}").json()
    return body if JobStatus(body["status"]).is_terminal else None


def status_of(tenant: Tenant, export_id: str) -> dict[str, Any]:
    body: dict[str, Any] = tenant.api.get(f"{EXPORTS}/{export_id}").json()
    return body


def email_to(stack: Stack, address: str) -> list[CapturedEmail]:
    return [email for email in captured_emails(stack.moto.mailbox()) if address in email.to]


def objects_under(aws_client: Callable[[str], Any], bucket: str, prefix: str) -> list[str]:
    listing = aws_client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix)
    return [item["Key"] for item in listing.get("Contents", [])]


def open_uploads(aws_client: Callable[[str], Any], bucket: str) -> list[Any]:
    uploads: list[Any] = aws_client("s3").list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    return uploads


def run_export(stack: Stack, tenant: Tenant, **body: Any) -> tuple[dict[str, Any], bytes]:
    """Request an export, wait for COMPLETED, download it through its presigned link."""
    accepted = tenant.request(**body)
    assert accepted.status_code == 202, accepted.text
    export_id = accepted.json()["exportId"]
    # visible at once: never a 404 right after the 202
    assert tenant.api.get(f"{EXPORTS}/{export_id}").status_code == 200
    done = eventually(partial(finished, tenant, export_id), what="the export", seconds=SLOW_SECONDS)
    assert done["status"] == "COMPLETED", done
    download = httpx.get(done["downloadUrl"], timeout=30)
    assert download.status_code == 200
    return done, download.content


def check_email_link(stack: Stack, tenant: Tenant, content: bytes) -> None:
    """The notifier e-mailed the exporter a link that downloads the same file."""
    sent = eventually(partial(email_to, stack, tenant.email), what="the export e-mail")
    assert len(sent) == 1
    links = re.findall(r'href="([^"]+)"', sent[0].body)
    assert links, sent[0].body
    link = links[0].replace("&amp;", "&")
    assert follow_email_link(stack, link) == content


def test_csv_export_streams_escaped_rows_and_emails_a_link(stack: Stack, tenant: Tenant) -> None:
    tenant.seed(stack, 40)
    done, content = run_export(
        stack,
        tenant,
        format="csv",
        columns=["customerId", "customerName", "currency", "totalAmount", "createdAt"],
        filters={"createdAt": {"from": START.isoformat(), "to": "2026-04-01T08:20:00Z"}},
        includeBom=True,
    )
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == ["Customer ID", "Customer", "Currency", "Total", "Created at"]
    assert len(rows) - 1 == done["actualRowCount"] == done["estimatedRowCount"] == 20
    assert rows[1] == ["c-00000", "Ada Lovelace", "EUR", "0.25", "2026-04-01T08:00:00Z"]
    escaped = {row[1] for row in rows[1:]}
    assert '\'=HYPERLINK("http://x")' in escaped
    assert "'@SUM(A1)" in escaped
    assert "'-1+2" in escaped
    assert done["fileSizeBytes"] == len(content)
    assert done["progressPercentage"] == 100
    check_email_link(stack, tenant, content)


def test_xlsx_export_has_a_styled_header_and_typed_cells(stack: Stack, tenant: Tenant) -> None:
    tenant.seed(stack, 30)
    done, content = run_export(stack, tenant, format="xlsx", title="April orders")
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][0] == "April orders"
    header_row = next(i for i, row in enumerate(values) if row[0] == "Order ID")
    header = sheet[header_row + 1]
    assert all(cell.font.bold for cell in header if cell.value)
    assert header[0].fill.fgColor.rgb not in (None, "00000000")
    assert sheet.freeze_panes == f"A{header_row + 2}"
    data = values[header_row + 1 :]
    assert len(data) == done["actualRowCount"] == 30
    total = values[header_row].index("Total")
    created = values[header_row].index("Created at")
    assert isinstance(data[0][total], float | int | Decimal)
    assert isinstance(data[0][created], datetime)
    names = {row[values[header_row].index("Customer")] for row in data}
    assert '\'=HYPERLINK("http://x")' in names
    check_email_link(stack, tenant, content)


def test_pdf_export_repeats_the_header_and_numbers_its_pages(stack: Stack, tenant: Tenant) -> None:
    tenant.seed(stack, 120)
    _, content = run_export(
        stack,
        tenant,
        format="pdf",
        title="PDF orders",
        columns=["customerId", "customerName", "totalAmount"],
    )
    pdf = pypdf.PdfReader(io.BytesIO(content))
    pages = len(pdf.pages)
    assert pages >= 2
    first, last = pdf.pages[0].extract_text(), pdf.pages[-1].extract_text()
    assert "PDF orders" in first
    assert f"Page 1 of {pages}" in first
    assert f"Page {pages} of {pages}" in last
    assert "Customer ID" in pdf.pages[1].extract_text()
    check_email_link(stack, tenant, content)


def test_a_cancelled_export_leaves_no_object_and_no_upload(
    stack: Stack, tenant: Tenant, aws_client: Callable[[str], Any]
) -> None:
    tenant.seed(stack, 3000)
    accepted = tenant.request(format="pdf").json()
    export_id = accepted["exportId"]
    eventually(
        lambda: status_of(tenant, export_id)["status"] != "QUEUED", what="the export started"
    )
    cancelled = tenant.api.post(f"{EXPORTS}/{export_id}/cancel")
    assert cancelled.status_code in (200, 202)
    done = eventually(partial(finished, tenant, export_id), what="the cancellation")
    assert done["status"] == "CANCELLED"
    bucket = stack.env["EXPORTS_BUCKET"]
    assert objects_under(aws_client, bucket, f"exports/{tenant.name}/{export_id}/") == []
    assert [u for u in open_uploads(aws_client, bucket) if export_id in u["Key"]] == []


def test_a_duplicate_export_request_makes_one_file_and_one_email(
    stack: Stack, tenant: Tenant, aws_client: Callable[[str], Any]
) -> None:
    tenant.seed(stack, 10)
    now = datetime.now(UTC)
    job = record_job(stack, aws_client, tenant, status=JobStatus.QUEUED, created_at=now, rows=10)
    event = ExportRequested(
        export_id=job.export_id,
        requested_by=job.requested_by,
        resource=job.resource,
        format=job.format,
        title=None,
        notify=job.notify,
        filters={},
        columns=None,
        include_bom=False,
        estimated_row_count=10,
        requested_at=now,
        expires_at=job.expires_at,
    )
    envelope = wrap(event, tenant_id=tenant.name, correlation_id="dup-export")
    publisher = EventPublisher(topic_arn=stack.env["EVENTS_TOPIC_ARN"], client=aws_client("sns"))
    publisher.publish(envelope)
    publisher.publish(envelope)
    done = eventually(partial(finished, tenant, str(job.export_id)), what="the export")
    assert done["status"] == "COMPLETED"
    eventually(partial(email_to, stack, tenant.email), what="the e-mail")
    drained = [stack.env["PROCESSOR_QUEUE"], stack.env["NOTIFIER_QUEUE"]]
    eventually(
        lambda: all(queue_depth(aws_client, queue) == 0 for queue in drained),
        what="both queues drained",
    )
    bucket = stack.env["EXPORTS_BUCKET"]
    assert len(objects_under(aws_client, bucket, f"exports/{tenant.name}/{job.export_id}/")) == 1
    assert len(email_to(stack, tenant.email)) == 1


def test_a_killed_processor_does_not_leave_the_export_processing(
    stack: Stack, tenant: Tenant
) -> None:
    # given a processor that holds short leases and short SQS visibility
    short = {"VISIBILITY_TIMEOUT_SECONDS": "12", "EXPORT_LEASE_SECONDS": "10"}
    stack.services["processor"].stop()
    stack.start_service("processor", env=short)
    try:
        tenant.seed(stack, 2500)
        export_id = tenant.request(format="pdf").json()["exportId"]
        eventually(
            lambda: (status_of(tenant, export_id).get("progressPercentage") or 0) > 0,
            what="the export under way",
        )
        # when the processor dies mid-export
        stack.services["processor"].signal(signal.SIGKILL)
        stack.services["processor"].stop()
        stack.start_service("processor", env=short)
        # then another delivery reclaims it once the lease expired and it finishes
        done = eventually(
            partial(finished, tenant, export_id), what="the export to end", seconds=SLOW_SECONDS
        )
        assert done["status"] in ("COMPLETED", "FAILED")
        if done["status"] == "FAILED":
            assert done["error"]
    finally:
        stack.services["processor"].stop()
        stack.start_service("processor")


def test_exports_are_guarded_and_validated(stack: Stack, tenant: Tenant) -> None:
    tenant.seed(stack, 5)
    export_id = tenant.request(format="csv").json()["exportId"]
    # 401 without a token
    assert httpx.get(f"{stack.producer_url}{EXPORTS}/{export_id}").status_code == 401
    # 403 for a caller without the exporter role
    viewer = mint_token(stack, tenant=tenant.name, sub="viewer", roles="viewer")
    refused = httpx.post(
        f"{stack.producer_url}{EXPORTS}",
        json={"resource": "orders", "format": "csv", "notify": [tenant.email]},
        headers={"Authorization": f"Bearer {viewer}"},
    )
    assert refused.status_code == 403
    # 404 for another tenant, even an admin
    outsider = mint_token(stack, tenant="elsewhere", sub="exporter", roles="admin")
    foreign = httpx.get(
        f"{stack.producer_url}{EXPORTS}/{export_id}",
        headers={"Authorization": f"Bearer {outsider}"},
    )
    assert foreign.status_code == 404
    # 422 for unknown columns and filters, with the field named
    unknown = tenant.request(format="csv", columns=["secret"], filters={"colour": "red"})
    assert unknown.status_code == 422
    fields = {error["field"] for error in unknown.json()["errors"]}
    assert {"columns", "filters.colour"} <= fields
    # every problem body is JSON with its status
    for response in (refused, foreign, unknown):
        assert response.headers["content-type"].startswith("application/problem+json")


def test_too_many_rows_for_a_pdf_is_422_and_expired_exports_are_gone(
    stack: Stack, tenant: Tenant, aws_client: Callable[[str], Any]
) -> None:
    tenant.seed(stack, 20_001)
    too_big = tenant.request(format="pdf")
    assert too_big.status_code == 422
    assert "20,000" in too_big.text or "20000" in too_big.text
    # an export past its expiry answers 410 Gone
    long_ago = datetime.now(UTC) - timedelta(days=40)
    job = record_job(
        stack, aws_client, tenant, status=JobStatus.COMPLETED, created_at=long_ago, rows=1
    )
    gone = tenant.api.get(f"{EXPORTS}/{job.export_id}")
    assert gone.status_code == 410
    assert gone.json()["status"] == 410
