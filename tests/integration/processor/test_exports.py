"""The export pipeline against real PostgreSQL and S3, DynamoDB, SNS and SQS on moto server."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine
from tests.integration.processor.links import email_links, follow
from tests.integration.processor.outcomes import outcome_events

from conveyor_aws import clients
from conveyor_aws.job_store import LeasedJobStore
from conveyor_aws.publisher import EventPublisher
from conveyor_aws.resources import ResourceNames
from conveyor_aws.s3_stream import MIN_PART_SIZE_BYTES
from conveyor_aws.state_store import StateStore
from conveyor_common.envelope import Envelope, wrap
from conveyor_common.events import ExportCompleted, ExportFailed, ExportRequested
from conveyor_common.exports.job import EXPORT_JOBS, ExportJob, ExportResult
from conveyor_common.exports.model import ExportFormat
from conveyor_common.exports.registry import ResolvedExport
from conveyor_common.jobs import JobStatus
from conveyor_processor.db import build_engine
from conveyor_processor.exports.csv_copy import UTF8_BOM
from conveyor_processor.exports.files import S3ExportFiles
from conveyor_processor.exports.history import export_history
from conveyor_processor.exports.kind import ExportJobs, ExportRunner
from conveyor_processor.exports.ports import Renderer, Sink
from conveyor_processor.exports.render import PostgresRenderer
from conveyor_processor.jobs.announcer import SnsAnnouncer
from conveyor_processor.jobs.policy import MAX_ATTEMPTS, RETRY_WINDOW, JobBusy
from conveyor_processor.jobs.ports import Progress
from conveyor_processor.jobs.runner import Outcome

pytestmark = pytest.mark.integration

TENANT = "acme"
OTHER_TENANT = "globex"
T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
LEASE_SECONDS = 60
ORDER_HEADER = [
    "Order ID",
    "Created at",
    "Status",
    "Customer ID",
    "Customer",
    "E-mail",
    "Currency",
    "Items",
    "Total",
    "Persisted at",
]
NAMES = ResourceNames()


# --- seeding -----------------------------------------------------------------------------------


def seed_orders(
    database_url: str, *, count: int, tenant: str = TENANT, name_padding: int = 0
) -> None:
    """`count` orders of one item each, one second apart from T0; totals 1.25 times n;
    names and e-mails padded by `name_padding` characters (at most 220)."""
    with psycopg.connect(database_url, autocommit=True) as connection:
        # One statement, so the orders and their items commit together.
        connection.execute(
            "WITH seeded AS (INSERT INTO orders (order_id, tenant_id, customer_id,"
            " customer_email, customer_name, currency, total_amount, item_count, created_at,"
            " event_id, correlation_id)"
            " SELECT gen_random_uuid(), %(tenant)s, 'cust-' || n,"
            " 'c' || n || repeat('x', %(padding)s) || '@example.com',"
            " 'Customer ' || n || repeat('.', %(padding)s), 'EUR', n * 1.25, 1,"
            " %(t0)s + n * interval '1 second', gen_random_uuid(), 'seed'"
            " FROM generate_series(1, %(count)s) AS n RETURNING order_id, total_amount)"
            " INSERT INTO order_items (order_id, line_no, sku, name, quantity, unit_price,"
            " line_total) SELECT order_id, 1, 'SKU', 'thing', 1, total_amount, total_amount"
            " FROM seeded",
            {"tenant": tenant, "count": count, "padding": name_padding, "t0": T0},
        )


def insert_order(
    database_url: str,
    *,
    name: str,
    total: Decimal,
    created_at: datetime,
    currency: str = "EUR",
    items: Sequence[tuple[str, Decimal]] = (("thing", Decimal("1.00")),),
) -> uuid.UUID:
    """An order with its items, (name, line total) each, in one transaction."""
    order_id = uuid.uuid4()
    with psycopg.connect(database_url) as connection:
        connection.execute(
            "INSERT INTO orders (order_id, tenant_id, customer_id, customer_email, customer_name,"
            " currency, total_amount, item_count, created_at, event_id, correlation_id)"
            " VALUES (%s, %s, 'cust-x', 'x@example.com', %s, %s, %s, %s, %s,"
            " gen_random_uuid(), 'c')",
            (order_id, TENANT, name, currency, total, len(items), created_at),
        )
        for line_no, (item_name, line_total) in enumerate(items, start=1):
            connection.execute(
                "INSERT INTO order_items (order_id, line_no, sku, name, quantity, unit_price,"
                " line_total) VALUES (%s, %s, %s, %s, 1, %s, %s)",
                (order_id, line_no, f"SKU-{line_no}", item_name, abs(line_total), line_total),
            )
    return order_id


# --- requests ----------------------------------------------------------------------------------


def request_export(
    states: ExportStates,
    *,
    resource: str = "orders",
    filters: dict[str, Any] | None = None,
    columns: tuple[str, ...] | None = None,
    title: str | None = "Q2 orders",
    include_bom: bool = False,
    estimated_row_count: int = 10,
) -> Envelope:
    """What the producer does: record the QUEUED job, then the event it publishes."""
    now = datetime.now(UTC)
    job = ExportJob(
        export_id=uuid.uuid4(),
        tenant_id=TENANT,
        requested_by="alice",
        resource=resource,
        format=ExportFormat.CSV,
        filters=filters or {},
        columns=columns,
        title=title,
        notify=("alice@example.com",),
        include_bom=include_bom,
        status=JobStatus.QUEUED,
        estimated_row_count=estimated_row_count,
        created_at=now,
        expires_at=now + timedelta(days=30),
    )
    assert states.create(job)
    return wrap(requested(job), tenant_id=TENANT, correlation_id=f"corr-{job.export_id}")


def requested(job: ExportJob) -> ExportRequested:
    return ExportRequested(
        export_id=job.export_id,
        requested_by=job.requested_by,
        resource=job.resource,
        format=job.format,
        title=job.title,
        notify=job.notify,
        filters=job.filters,
        columns=job.columns,
        include_bom=job.include_bom,
        estimated_row_count=job.estimated_row_count,
        requested_at=T0,
        expires_at=job.expires_at,
    )


def export_id(envelope: Envelope) -> uuid.UUID:
    assert isinstance(envelope.payload, ExportRequested)
    return envelope.payload.export_id


# --- observations ------------------------------------------------------------------------------


def history_row(database_url: str, export: uuid.UUID) -> dict[str, Any] | None:
    with psycopg.connect(database_url) as connection:
        cursor = connection.execute(
            "SELECT status, actual_row_count, file_size_bytes, object_key, error, attempts,"
            " columns, completed_at IS NOT NULL AS completed FROM export_jobs"
            " WHERE export_id = %s",
            (export,),
        )
        row = cursor.fetchone()
        if row is None:
            return None
        return dict(zip([column.name for column in cursor.description or ()], row, strict=True))


def objects_under(bucket: str, export: uuid.UUID) -> list[str]:
    response = clients.s3().list_objects_v2(Bucket=bucket, Prefix=f"exports/{TENANT}/{export}/")
    return [item["Key"] for item in response.get("Contents", [])]


def open_uploads(bucket: str) -> list[str]:
    response = clients.s3().list_multipart_uploads(Bucket=bucket, Prefix="exports/")
    return [upload["Key"] for upload in response.get("Uploads", [])]


def download(url: str) -> bytes:
    return follow(url, table=NAMES.table)


def parse_csv(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def engine(db: str) -> Iterator[Engine]:
    engine = build_engine(db)
    yield engine
    engine.dispose()


@pytest.fixture
def bucket(aws: dict[str, str]) -> str:
    return aws["EXPORTS_BUCKET"]


ExportStates = LeasedJobStore[ExportJob, ExportResult]


@pytest.fixture
def states(aws: dict[str, str]) -> ExportStates:
    return LeasedJobStore(StateStore(table=aws["STATE_TABLE"]), EXPORT_JOBS)


@pytest.fixture
def runner(
    aws: dict[str, str], db: str, engine: Engine, states: ExportStates, bucket: str
) -> ExportRunner:
    return ExportRunner(
        hooks=ExportJobs(
            history=export_history(engine),
            files=S3ExportFiles(
                bucket=bucket,
                links=email_links(aws["STATE_TABLE"]),
                part_size_bytes=MIN_PART_SIZE_BYTES,
            ),
            render=PostgresRenderer(db),
        ),
        states=states,
        announcer=SnsAnnouncer(
            publisher=EventPublisher(topic_arn=aws["EVENTS_TOPIC_ARN"]),
            store=StateStore(table=aws["STATE_TABLE"]),
            kind=EXPORT_JOBS,
        ),
        owner=lambda: "test-worker/1",
        lease_seconds=LEASE_SECONDS,
    )


def rendering(runner: ExportRunner, render: Renderer) -> ExportRunner:
    """The same runner with another renderer."""
    assert isinstance(runner.hooks, ExportJobs)
    return replace(runner, hooks=replace(runner.hooks, render=render))


class ProgressTap:
    """Wraps a renderer so a test can act while rows are being written."""

    def __init__(self, inner: PostgresRenderer, on_progress: Callable[[int], None]) -> None:
        self._inner = inner
        self._on_progress = on_progress

    def __call__(
        self, job: ExportJob, export: ResolvedExport, *, sink: Sink, progress: Progress
    ) -> int:
        def tapped(rows_so_far: int) -> None:
            self._on_progress(rows_so_far)
            progress(rows_so_far)

        return self._inner(job, export, sink=sink, progress=tapped)


def every_call_is_due() -> Callable[[], float]:
    """A monotonic clock that jumps a minute per reading: every progress call heartbeats."""
    ticks = iter(range(0, 10**9, 60))
    return lambda: float(next(ticks))


HYPERLINK = '=HYPERLINK("http://evil.example","click")'


def assert_the_tenants_escaped_orders(rows: list[list[str]]) -> None:
    """The file of the first test: this tenant's five orders, formula-like text escaped."""
    assert rows[0] == ORDER_HEADER
    assert [row[4] for row in rows[1:]] == [
        "Customer 1",
        "Customer 2",
        "Customer 3",
        "'" + HYPERLINK,
        "'-1+2",
    ]
    assert [row[3] for row in rows[1:4]] == ["cust-1", "cust-2", "cust-3"]
    assert [row[8] for row in rows[1:]] == ["1.25", "2.50", "3.75", "10.00", "0.50"]
    assert rows[1][1] == "2026-05-01T09:00:01Z"
    assert {row[6] for row in rows[1:]} == {"EUR"}


# --- tests -------------------------------------------------------------------------------------


def test_a_csv_export_is_stored_recorded_and_announced(
    db: str, bucket: str, states: ExportStates, runner: ExportRunner
) -> None:
    # given orders of two tenants, two of them with formula-like customer names
    seed_orders(db, count=3)
    seed_orders(db, count=2, tenant=OTHER_TENANT)
    insert_order(db, name=HYPERLINK, total=Decimal("10.00"), created_at=T0 + timedelta(hours=1))
    insert_order(db, name="-1+2", total=Decimal("0.50"), created_at=T0 + timedelta(hours=2))
    envelope = request_export(states, estimated_row_count=5)
    export = export_id(envelope)

    # when
    outcome = runner.run(envelope)

    # then the file is at its key, and the e-mail link downloads it
    assert outcome is Outcome.COMPLETED
    key = f"exports/{TENANT}/{export}/q2-orders.csv"
    assert objects_under(bucket, export) == [key]
    [announced] = outcome_events("ExportCompleted")
    completed = announced.payload
    assert isinstance(completed, ExportCompleted)
    assert announced.correlation_id == envelope.correlation_id
    body = download(completed.download_url)
    assert not body.startswith(UTF8_BOM)
    assert_the_tenants_escaped_orders(parse_csv(body))
    assert (completed.row_count, completed.size_bytes) == (5, len(body))
    assert completed.file_name == "q2-orders.csv"

    # and the live state and the history agree
    job = states.get(export)
    assert job is not None
    assert (job.status, job.actual_row_count, job.file_size_bytes, job.object_key) == (
        JobStatus.COMPLETED,
        5,
        len(body),
        key,
    )
    assert (job.progress_percentage, job.lease_owner) == (100, None)
    assert history_row(db, export) == completed_row(key=key, rows=5, size_bytes=len(body))


def completed_row(*, key: str, rows: int, size_bytes: int) -> dict[str, Any]:
    """The history row of an export completed at its first attempt."""
    return {
        "status": "COMPLETED",
        "actual_row_count": rows,
        "file_size_bytes": size_bytes,
        "object_key": key,
        "error": None,
        "attempts": 1,
        "columns": None,
        "completed": True,
    }


def test_order_items_keep_negative_numbers_and_honour_the_bom_and_columns(
    db: str, states: ExportStates, runner: ExportRunner
) -> None:
    # given an order with a discount line (a negative total) and a formula-like item name
    insert_order(
        db,
        name="Ann",
        total=Decimal("5.00"),
        created_at=T0,
        items=(("Widget", Decimal("7.00")), ("@discount", Decimal("-2.00"))),
    )
    envelope = request_export(
        states,
        resource="order_items",
        columns=("lineNo", "name", "lineTotal"),
        title=None,
        include_bom=True,
    )

    # when
    assert runner.run(envelope) is Outcome.COMPLETED

    # then the file starts with a BOM; text is escaped, numbers are not
    [announced] = outcome_events("ExportCompleted")
    assert isinstance(announced.payload, ExportCompleted)
    assert announced.payload.file_name == "order_items-20260501-090000.csv"
    body = download(announced.payload.download_url)
    assert body.startswith(UTF8_BOM)
    assert parse_csv(body[len(UTF8_BOM) :]) == [
        ["Line", "Item", "Line total"],
        ["1", "Widget", "7.00"],
        ["2", "'@discount", "-2.00"],
    ]
    assert history_row(db, export_id(envelope)) is not None


def test_a_large_export_is_uploaded_in_several_parts(
    db: str, bucket: str, states: ExportStates, runner: ExportRunner
) -> None:
    # given 20,000 orders of about 580 bytes each: more than two 5 MiB parts
    seed_orders(db, count=20_000, name_padding=220)
    envelope = request_export(states, title="Everything", estimated_row_count=20_000)
    export = export_id(envelope)

    # when
    assert runner.run(envelope) is Outcome.COMPLETED

    # then the object is a multipart object with every row, in order
    key = f"exports/{TENANT}/{export}/everything.csv"
    head = clients.s3().head_object(Bucket=bucket, Key=key)
    parts = int(head["ETag"].strip('"').rsplit("-", 1)[1])
    assert parts >= 2
    body = clients.s3().get_object(Bucket=bucket, Key=key)["Body"].read()
    assert head["ContentLength"] == len(body) > 2 * MIN_PART_SIZE_BYTES
    rows = parse_csv(body)
    assert len(rows) == 20_001
    assert [row[3] for row in (rows[1], rows[10_000], rows[20_000])] == [
        "cust-1",
        "cust-10000",
        "cust-20000",
    ]
    job = states.get(export)
    assert job is not None
    assert (job.actual_row_count, job.file_size_bytes) == (20_000, len(body))


def test_a_duplicate_delivery_makes_one_file_and_one_announcement(
    db: str, bucket: str, states: ExportStates, runner: ExportRunner
) -> None:
    # given
    seed_orders(db, count=50)
    envelope = request_export(states)
    export = export_id(envelope)

    # when the same request is delivered twice
    first = runner.run(envelope)
    second = replace(runner, owner=lambda: "other/2").run(envelope)

    # then
    assert (first, second) == (Outcome.COMPLETED, Outcome.ALREADY_FINISHED)
    assert len(objects_under(bucket, export)) == 1
    assert len(outcome_events("ExportCompleted")) == 1
    job = states.get(export)
    assert job is not None
    assert job.attempts == 1


def test_a_delivery_while_another_worker_holds_the_job_comes_back_after_its_lease(
    db: str, bucket: str, states: ExportStates, runner: ExportRunner
) -> None:
    # given a job a live worker is running
    seed_orders(db, count=5)
    envelope = request_export(states)
    export = export_id(envelope)
    assert states.claim(export, owner="live", lease_seconds=600, now=datetime.now(UTC))

    # when / then: the delivery is postponed until the lease could have run out
    with pytest.raises(JobBusy) as busy:
        runner.run(envelope)
    assert 590 <= busy.value.delay_seconds <= 601
    job = states.get(export)
    assert job is not None
    assert (job.status, job.lease_owner, job.attempts) == (JobStatus.PROCESSING, "live", 1)
    assert objects_under(bucket, export) == []


def test_cancelling_a_running_export_leaves_no_object_and_no_upload(
    db: str, bucket: str, states: ExportStates, runner: ExportRunner
) -> None:
    # given a large export that is cancelled once more than a part was uploaded
    seed_orders(db, count=20_000, name_padding=220)
    envelope = request_export(states, estimated_row_count=20_000)
    export = export_id(envelope)

    def cancel_late(rows_so_far: int) -> None:
        if rows_so_far >= 12_000:
            states.request_cancel(export, now=datetime.now(UTC))

    cancelling = replace(
        rendering(runner, ProgressTap(PostgresRenderer(db), cancel_late)),
        monotonic=every_call_is_due(),
    )

    # when
    outcome = cancelling.run(envelope)

    # then
    assert outcome is Outcome.CANCELLED
    assert objects_under(bucket, export) == []
    assert open_uploads(bucket) == []
    job = states.get(export)
    assert job is not None
    assert job.status is JobStatus.CANCELLED
    assert 0 < job.progress_percentage < 100
    assert history_row(db, export) is not None
    assert (history_row(db, export) or {})["status"] == "CANCELLED"
    assert outcome_events("ExportCompleted") == []


def test_an_export_cancelled_before_it_ran_is_recorded_and_never_run(
    db: str, bucket: str, states: ExportStates, runner: ExportRunner
) -> None:
    # given
    seed_orders(db, count=5)
    envelope = request_export(states)
    export = export_id(envelope)
    states.request_cancel(export, now=datetime.now(UTC))

    # when
    outcome = runner.run(envelope)

    # then
    assert outcome is Outcome.ALREADY_FINISHED
    assert objects_under(bucket, export) == []
    assert (history_row(db, export) or {})["status"] == "CANCELLED"


def test_an_invalid_request_fails_the_export_with_a_readable_reason(
    db: str, bucket: str, states: ExportStates, runner: ExportRunner
) -> None:
    # given a filter value the registry refuses (PostgreSQL could not hold it either)
    seed_orders(db, count=5)
    envelope = request_export(states, filters={"customerId": "cust\x00-1"})
    export = export_id(envelope)

    # when
    outcome = runner.run(envelope)

    # then
    assert outcome is Outcome.FAILED
    job = states.get(export)
    assert job is not None
    assert job.status is JobStatus.FAILED
    assert job.error is not None
    assert job.error.startswith("the export request is no longer valid: filters.customerId")
    [announced] = outcome_events("ExportFailed")
    assert isinstance(announced.payload, ExportFailed)
    assert announced.payload.reason == job.error
    assert objects_under(bucket, export) == []
    assert open_uploads(bucket) == []
    assert (history_row(db, export) or {})["error"] == job.error


def test_an_unreachable_database_is_retried_without_spending_attempts_then_fails(
    states: ExportStates, runner: ExportRunner, bucket: str, db: str
) -> None:
    # given a database nobody listens for
    envelope = request_export(states)
    export = export_id(envelope)
    unreachable = rendering(runner, PostgresRenderer("postgresql://x@127.0.0.1:1/none"))

    # when delivered more often than an export may be interrupted
    for _ in range(MAX_ATTEMPTS + 1):
        with pytest.raises(psycopg.OperationalError):
            unreachable.run(envelope)

    # then each retry reclaimed it at once and none counted as an interruption
    job = states.get(export)
    assert job is not None
    assert (job.status, job.attempts) == (JobStatus.PROCESSING, 0)
    assert (job.last_error or "").startswith("the database could not be reached: ")

    # when the outage outlasts the retry window
    later = datetime.now(UTC) + RETRY_WINDOW
    outcome = replace(unreachable, clock=lambda: later).run(envelope)

    # then it fails for good, with the cause
    assert outcome is Outcome.FAILED
    job = states.get(export)
    assert job is not None
    assert (job.status, job.attempts) == (JobStatus.FAILED, 1)
    assert (job.error or "").startswith("the database could not be reached: ")
    assert len(outcome_events("ExportFailed")) == 1
    assert objects_under(bucket, export) == []


def test_a_job_whose_worker_died_is_completed_by_the_next_delivery(
    db: str, states: ExportStates, runner: ExportRunner
) -> None:
    # given a worker claimed the job and died: its lease ran out
    seed_orders(db, count=5)
    envelope = request_export(states)
    export = export_id(envelope)
    long_ago = datetime.now(UTC) - timedelta(minutes=10)
    assert states.claim(export, owner="dead", lease_seconds=5, now=long_ago)

    # when the message is delivered again
    outcome = runner.run(envelope)

    # then
    assert outcome is Outcome.COMPLETED
    job = states.get(export)
    assert job is not None
    assert (job.status, job.attempts, job.actual_row_count) == (JobStatus.COMPLETED, 2, 5)
    assert (history_row(db, export) or {})["attempts"] == 2


def leave_an_upload_open(bucket: str, key: str) -> str:
    """What a worker killed mid-export leaves: an open multipart upload with a part."""
    s3 = clients.s3()
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key, ContentType="text/csv")[
        "UploadId"
    ]
    s3.upload_part(
        Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=1, Body=b"x" * MIN_PART_SIZE_BYTES
    )
    return upload_id


@pytest.fixture
def someone_elses_upload(bucket: str) -> Iterator[str]:
    """An open upload of another, live export: a reclaim must not touch it."""
    key = f"exports/{TENANT}/{uuid.uuid4()}/theirs.csv"
    upload_id = leave_an_upload_open(bucket, key)
    yield key
    clients.s3().abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)


def test_a_reclaimed_job_aborts_the_upload_its_dead_worker_left_open(
    db: str,
    bucket: str,
    states: ExportStates,
    runner: ExportRunner,
    someone_elses_upload: str,
) -> None:
    # given a worker claimed the job, uploaded a part and was killed: its lease ran out
    seed_orders(db, count=5)
    envelope = request_export(states)
    export = export_id(envelope)
    assert states.claim(
        export, owner="dead", lease_seconds=5, now=datetime.now(UTC) - timedelta(minutes=10)
    )
    leave_an_upload_open(bucket, f"exports/{TENANT}/{export}/q2-orders.csv")

    # when the message is delivered again
    outcome = runner.run(envelope)

    # then the file is complete and only the other export's upload is still open
    assert outcome is Outcome.COMPLETED
    assert objects_under(bucket, export) == [f"exports/{TENANT}/{export}/q2-orders.csv"]
    assert open_uploads(bucket) == [someone_elses_upload]


def test_a_job_interrupted_too_often_fails_instead_of_running_forever(
    db: str, bucket: str, states: ExportStates, runner: ExportRunner
) -> None:
    # given every allowed attempt died
    seed_orders(db, count=5)
    envelope = request_export(states)
    export = export_id(envelope)
    start = datetime.now(UTC) - timedelta(hours=1)
    for attempt in range(MAX_ATTEMPTS):
        claimed = states.claim(
            export, owner=f"dead-{attempt}", lease_seconds=5, now=start + timedelta(minutes=attempt)
        )
        assert claimed is not None

    leave_an_upload_open(bucket, f"exports/{TENANT}/{export}/q2-orders.csv")

    # when
    outcome = runner.run(envelope)

    # then
    assert outcome is Outcome.FAILED
    assert open_uploads(bucket) == []
    job = states.get(export)
    assert job is not None
    assert job.status is JobStatus.FAILED
    assert job.error == f"the export was interrupted {MAX_ATTEMPTS} times"
    [announced] = outcome_events("ExportFailed")
    assert isinstance(announced.payload, ExportFailed)
    assert announced.payload.reason == job.error
    assert objects_under(bucket, export) == []


def test_a_request_for_an_unknown_export_is_dropped(
    states: ExportStates, runner: ExportRunner
) -> None:
    # given an event whose job was never recorded
    envelope = request_export(states)
    payload = envelope.payload
    assert isinstance(payload, ExportRequested)
    stray = wrap(
        ExportRequested(**{**_fields(payload), "export_id": uuid.uuid4()}),
        tenant_id=TENANT,
        correlation_id="stray",
    )

    # when / then
    assert runner.run(stray) is Outcome.UNKNOWN_JOB


def _fields(payload: ExportRequested) -> dict[str, Any]:
    return {name: getattr(payload, name) for name in payload.__struct_fields__}
