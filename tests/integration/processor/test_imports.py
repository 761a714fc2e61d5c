"""The import pipeline against real PostgreSQL and S3, DynamoDB, SNS and SQS on moto server."""

from __future__ import annotations

import csv
import io
import itertools
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
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
from conveyor_aws.order_items import OrderRecord, OrderState
from conveyor_aws.publisher import EventPublisher
from conveyor_aws.resources import ResourceNames
from conveyor_aws.s3_stream import MIN_PART_SIZE_BYTES
from conveyor_aws.state_store import StateStore
from conveyor_common.envelope import Envelope, wrap
from conveyor_common.events import FileFailed, FileProcessed, FileUploaded
from conveyor_common.imports.job import IMPORT_JOBS, ImportJob, ImportResult
from conveyor_common.imports.model import (
    FileType,
    ImportMode,
    error_report_key,
    imported_order_id,
    upload_key,
)
from conveyor_common.jobs import JobStatus
from conveyor_common.orders import Order
from conveyor_processor.db import build_engine
from conveyor_processor.imports.files import S3ImportFiles
from conveyor_processor.imports.history import import_history
from conveyor_processor.imports.kind import ImportJobs, ImportRunner
from conveyor_processor.imports.ports import BatchOutcome, ImportSession
from conveyor_processor.imports.source import MAX_LINE_CHARS
from conveyor_processor.imports.upserts import SqlOrderUpserts
from conveyor_processor.jobs.announcer import SnsAnnouncer
from conveyor_processor.jobs.runner import Outcome
from conveyor_producer.database import Database
from conveyor_producer.orders.stored import SqlStoredOrders

pytestmark = pytest.mark.integration

TENANT = "acme"
OTHER_TENANT = "globex"
T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
UPLOADS_BUCKET = "conveyor-test-uploads"
NAMES = ResourceNames()
HEADER = "orderId,customerId,customerEmail,customerName,currency,sku,itemName,quantity,unitPrice"
CLEAN_CSV = (
    f"{HEADER}\n"
    "A-1,cust-1,jane@example.com,Jane,EUR,SKU-1,Widget,2,19.99\n"
    "A-1,cust-1,jane@example.com,Jane,EUR,SKU-2,,1,5.00\n"
    "A-2,cust-2,john@example.com,,usd,SKU-3,Gadget,3,1.50\n"
)
CLEAN_ORDERS = [
    {
        "orderId": "A-1",
        "customerId": "cust-1",
        "customerEmail": "jane@example.com",
        "customerName": "Jane",
        "currency": "EUR",
        "items": [
            {"sku": "SKU-1", "name": "Widget", "quantity": 2, "unitPrice": "19.99"},
            {"sku": "SKU-2", "quantity": 1, "unitPrice": 5.00},
        ],
        "totalAmount": "44.98",
    },
    {
        "orderId": "A-2",
        "customerId": "cust-2",
        "customerEmail": "john@example.com",
        "currency": "usd",
        "items": [{"sku": "SKU-3", "name": "Gadget", "quantity": 3, "unitPrice": "1.50"}],
    },
]


def json_body(orders: Sequence[dict[str, Any]]) -> bytes:
    import json

    return json.dumps(list(orders), indent=2).encode()


def ndjson_body(orders: Sequence[dict[str, Any]]) -> bytes:
    import json

    return "".join(json.dumps(order) + "\n" for order in orders).encode()


# --- requests ----------------------------------------------------------------------------------

ImportStates = LeasedJobStore[ImportJob, ImportResult]


def upload(
    states: ImportStates,
    body: bytes,
    *,
    file_type: FileType = FileType.CSV,
    mode: ImportMode = ImportMode.IMPORT,
    tenant: str = TENANT,
) -> Envelope:
    """What the producer does: store the file, record the QUEUED job, then the event."""
    file_id = uuid.uuid4()
    name = f"orders.{file_type.value}"
    key = upload_key(tenant, file_id, name)
    clients.s3().put_object(Bucket=UPLOADS_BUCKET, Key=key, Body=body)
    now = datetime.now(UTC)
    job = ImportJob(
        file_id=file_id,
        tenant_id=tenant,
        requested_by="alice",
        original_name=name,
        bucket=UPLOADS_BUCKET,
        object_key=key,
        file_type=file_type,
        file_size_bytes=len(body),
        mode=mode,
        notify=("alice@example.com",),
        status=JobStatus.QUEUED,
        created_at=now,
        expires_at=now + timedelta(days=30),
    )
    assert states.create(job)
    event = FileUploaded(
        file_id=file_id,
        requested_by=job.requested_by,
        original_name=name,
        mode=mode,
        notify=job.notify,
        bucket=UPLOADS_BUCKET,
        object_key=key,
        file_type=file_type,
        file_size_bytes=len(body),
        uploaded_at=T0,
        expires_at=job.expires_at,
    )
    return wrap(event, tenant_id=tenant, correlation_id=f"corr-{file_id}")


def file_id_of(envelope: Envelope) -> uuid.UUID:
    assert isinstance(envelope.payload, FileUploaded)
    return envelope.payload.file_id


# --- observations ------------------------------------------------------------------------------


def history_row(database_url: str, file_id: uuid.UUID) -> dict[str, Any]:
    with psycopg.connect(database_url) as connection:
        cursor = connection.execute(
            "SELECT status, error, rows_total, rows_imported, rows_unchanged, rows_rejected,"
            " error_report_key FROM import_jobs WHERE file_id = %s",
            (file_id,),
        )
        row = cursor.fetchone()
        assert row is not None
        return dict(zip([column.name for column in cursor.description or ()], row, strict=True))


def counts(row: dict[str, Any]) -> tuple[int, int, int, int]:
    return (row["rows_total"], row["rows_imported"], row["rows_unchanged"], row["rows_rejected"])


def read_as_the_api_does(database_url: str, order_id: uuid.UUID) -> OrderRecord | None:
    """The order as GET /api/v1/orders/{id} reads an imported one: from PostgreSQL."""
    database = Database(database_url, max_size=1)
    database.open()
    try:
        return SqlStoredOrders(database).find(order_id)
    finally:
        database.close()


def stored_orders(database_url: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(database_url) as connection:
        return connection.execute(
            "SELECT o.order_id, o.tenant_id, o.customer_id, o.currency, o.total_amount::text,"
            " o.created_at, count(i.line_no) FROM orders o JOIN order_items i USING (order_id)"
            " GROUP BY o.order_id ORDER BY o.customer_id"
        ).fetchall()


def persisted_at(database_url: str) -> list[datetime]:
    with psycopg.connect(database_url) as connection:
        rows = connection.execute("SELECT persisted_at FROM orders ORDER BY customer_id")
        return [row[0] for row in rows]


def report_rows(tenant: str, file_id: uuid.UUID) -> list[list[str]]:
    body = clients.s3().get_object(Bucket=UPLOADS_BUCKET, Key=error_report_key(tenant, file_id))
    text = body["Body"].read().decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline="")))


def open_uploads() -> list[str]:
    response = clients.s3().list_multipart_uploads(Bucket=UPLOADS_BUCKET, Prefix="uploads/")
    return [item["Key"] for item in response.get("Uploads", [])]


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def engine(db: str) -> Iterator[Engine]:
    engine = build_engine(db)
    yield engine
    engine.dispose()


@pytest.fixture
def uploads(aws: dict[str, str]) -> str:
    s3 = clients.s3()
    existing = {bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])}
    if UPLOADS_BUCKET not in existing:
        s3.create_bucket(Bucket=UPLOADS_BUCKET)
    return UPLOADS_BUCKET


@pytest.fixture
def store(aws: dict[str, str]) -> StateStore:
    return StateStore(table=aws["STATE_TABLE"])


@pytest.fixture
def states(store: StateStore) -> ImportStates:
    return LeasedJobStore(store, IMPORT_JOBS)


@pytest.fixture
def runner(
    aws: dict[str, str], uploads: str, engine: Engine, store: StateStore, states: ImportStates
) -> ImportRunner:
    return ImportRunner(
        hooks=ImportJobs(
            history=import_history(engine),
            files=S3ImportFiles(
                links=email_links(aws["STATE_TABLE"]), part_size_bytes=MIN_PART_SIZE_BYTES
            ),
            upserts=SqlOrderUpserts(engine),
        ),
        states=states,
        announcer=SnsAnnouncer(
            publisher=EventPublisher(topic_arn=aws["EVENTS_TOPIC_ARN"]),
            store=store,
            kind=IMPORT_JOBS,
        ),
        owner=lambda: "test-worker/1",
        lease_seconds=60,
    )


# --- tests -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file_type", "body", "rows"),
    [
        (FileType.CSV, CLEAN_CSV.encode(), 3),
        (FileType.CSV, b"\xef\xbb\xbf" + CLEAN_CSV.replace("\n", "\r\n").encode(), 3),
        (FileType.JSON, json_body(CLEAN_ORDERS), 2),
        (FileType.NDJSON, ndjson_body(CLEAN_ORDERS), 2),
    ],
    ids=["csv", "csv-bom-crlf", "json", "ndjson"],
)
def test_a_clean_file_is_imported_recorded_and_announced(
    db: str,
    store: StateStore,
    states: ImportStates,
    runner: ImportRunner,
    file_type: FileType,
    body: bytes,
    rows: int,
) -> None:
    envelope = upload(states, body, file_type=file_type)
    file_id = file_id_of(envelope)

    assert runner.run(envelope) is Outcome.COMPLETED

    first, second = imported_order_id(TENANT, "A-1"), imported_order_id(TENANT, "A-2")
    assert stored_orders(db) == [
        (first, TENANT, "cust-1", "EUR", "44.98", T0, 2),
        (second, TENANT, "cust-2", "USD", "4.50", T0, 1),
    ]
    # and the API reads it from PostgreSQL, its only store
    record = read_as_the_api_does(db, first)
    assert record is not None
    assert record.status is OrderState.PERSISTED
    assert (record.order.total_amount, record.order.submitted_at) == (Decimal("44.98"), T0)
    assert [(item.sku, item.line_total) for item in record.order.items] == [
        ("SKU-1", Decimal("39.98")),
        ("SKU-2", Decimal("5.00")),
    ]
    row = history_row(db, file_id)
    assert row["status"] == "COMPLETED"
    assert counts(row) == (rows, rows, 0, 0)
    assert row["error_report_key"] is None
    job = states.get(file_id)
    assert job is not None
    assert job.rows_imported == rows
    assert job.progress_percentage == 100
    [event] = outcome_events(FileProcessed.event_type)
    assert isinstance(event.payload, FileProcessed)
    assert (event.payload.rows_total, event.payload.rows_imported) == (rows, rows)
    assert event.payload.error_report_url is None


def test_mixed_rows_are_counted_and_each_problem_reported(
    db: str, states: ImportStates, runner: ImportRunner
) -> None:
    body = (
        f"{HEADER}\n"
        "B-1,cust-1,jane@example.com,Jane,EUR,SKU-1,Widget,2,19.99\n"  # 2: good
        "B-2,cust-2,not-an-email,,ZZZ,SKU-2,,0,1.999\n"  # 3: a bound broken
        "\n"  # 4: blank
        "B-3,,x@example.com,,EUR,SKU-3,,abc,1.00\n"  # 5: a quantity that is no number
        "B-1,cust-1,jane@example.com,Jane,EUR,SKU-9,,1,1.00\n"  # 6: B-1 again
        "B-4,cust-4,d@example.com,,EUR,SKU-4,,1,2.00\n"  # 7: good
    )
    envelope = upload(states, body.encode())
    file_id = file_id_of(envelope)

    assert runner.run(envelope) is Outcome.COMPLETED

    row = history_row(db, file_id)
    assert counts(row) == (6, 2, 0, 4)
    assert row["error_report_key"] == error_report_key(TENANT, file_id)
    values = {
        3: ["B-2", "cust-2", "not-an-email", "", "ZZZ", "SKU-2", "", "0", "1.999"],
        5: ["B-3", "", "x@example.com", "", "EUR", "SKU-3", "", "abc", "1.00"],
        6: ["B-1", "cust-1", "jane@example.com", "Jane", "EUR", "SKU-9", "", "1", "1.00"],
    }
    assert report_rows(TENANT, file_id) == [
        ["line", "orderId", "field", "code", "message", *HEADER.split(",")],
        ["3", "B-2", "quantity", "constraint-error", "Expected `int` >= 1", *values[3]],
        [
            "3",
            "B-2",
            "customerEmail",
            "constraint-error",
            "is not a valid e-mail address",
            *values[3],
        ],
        [
            "3",
            "B-2",
            "currency",
            "unknown-currency",
            "'ZZZ' is not an ISO 4217 currency code",
            *values[3],
        ],
        [
            "3",
            "B-2",
            "unitPrice",
            "constraint-error",
            "must have at most 2 decimal places",
            *values[3],
        ],
        ["4", "", "", "blank-row", "the line is blank"],
        [
            "5",
            "B-3",
            "customerId",
            "missing-field",
            "Object missing required field `customerId`",
            *values[5],
        ],
        ["5", "B-3", "quantity", "type-error", "Expected `int`, got `str`", *values[5]],
        [
            "6",
            "B-1",
            "orderId",
            "duplicate-order",
            "the file has an earlier order with this orderId",
            *values[6],
        ],
    ]
    # every rejected line, and only those, is in the report
    assert len({line[0] for line in report_rows(TENANT, file_id)[1:]}) == counts(row)[3]
    assert len(stored_orders(db)) == 2
    [event] = outcome_events(FileProcessed.event_type)
    assert isinstance(event.payload, FileProcessed)
    assert event.payload.rows_rejected == 4
    assert event.payload.error_report_url is not None
    report = follow(event.payload.error_report_url, table=NAMES.table)
    assert report.startswith(b"line,orderId")


def test_a_row_with_several_problems_reports_each(
    db: str, states: ImportStates, runner: ImportRunner
) -> None:
    body = f"{HEADER}\nC-1,cust-1,not-an-email,,ZZZ,SKU-1,,1,1.999\n"
    envelope = upload(states, body.encode())
    file_id = file_id_of(envelope)

    assert runner.run(envelope) is Outcome.COMPLETED

    rows = report_rows(TENANT, file_id)
    assert [(row[2], row[3]) for row in rows[1:]] == [
        ("customerEmail", "constraint-error"),
        ("currency", "unknown-currency"),
        ("unitPrice", "constraint-error"),
    ]


def test_every_line_of_an_order_rejected_for_one_line_is_reported(
    db: str, states: ImportStates, runner: ImportRunner
) -> None:
    body = (
        f"{HEADER}\n"
        "M-1,cust-1,m@example.com,,EUR,SKU-1,,1,1.00\n"  # 2
        "M-1,cust-1,m@example.com,,EUR,SKU-2,,-3,1.00\n"  # 3: a negative quantity
        "M-1,,,,,SKU-3,,1,2.00\n"  # 4
    )
    envelope = upload(states, body.encode())
    file_id = file_id_of(envelope)

    assert runner.run(envelope) is Outcome.COMPLETED

    assert counts(history_row(db, file_id)) == (3, 0, 0, 3)
    rows = report_rows(TENANT, file_id)[1:]
    assert [row[:5] for row in rows] == [
        ["2", "M-1", "", "order-rejected", "rejected with its order: see line 3"],
        ["3", "M-1", "quantity", "constraint-error", "Expected `int` >= 1"],
        ["4", "M-1", "", "order-rejected", "rejected with its order: see line 3"],
    ]
    assert [row[10] for row in rows] == ["SKU-1", "SKU-2", "SKU-3"]
    assert stored_orders(db) == []


@pytest.mark.parametrize(
    ("file_type", "body", "reason"),
    [
        (FileType.CSV, b"orderId,customerId\n", "the header lacks the column 'customerEmail'"),
        (
            FileType.CSV,
            (HEADER + ",colour\n").encode(),
            "the header has an unknown column 'colour'",
        ),
        (
            FileType.CSV,
            (HEADER + "\nA,c,e@x.io,,EUR,S,,1,1.00\nA,c,\xe9").encode("latin-1"),
            "the file is not valid UTF-8: bad byte at offset 117",
        ),
        (
            FileType.JSON,
            b'[{"orderId": "a"},\n {"b": 2,,}]',
            "malformed JSON at line 2, column 10: parse error: invalid object key"
            " (must be a string)",
        ),
        (
            FileType.JSON,
            b'{"orderId": "a"}',
            "a JSON file must hold an array of orders, starting with '['",
        ),
        (
            FileType.NDJSON,
            b'{"orderId": "a"}\n{"orderId": "b",}\n',
            "malformed JSON at line 2, column 17: JSON is malformed: trailing comma in object",
        ),
        (
            FileType.JSON,
            b'\xef\xbb\xbf[{"orderId": "a", "customerId": "\\udfff"}]',
            "the JSON file has half a surrogate pair (\\udfff) at offset 36: "
            "it escapes no character",
        ),
        (
            FileType.NDJSON,
            b'{"orderId": "a"}\n' + b"x" * (MAX_LINE_CHARS + 1),
            f"line 2 is longer than {MAX_LINE_CHARS:,} characters",
        ),
        (
            FileType.CSV,
            f"{HEADER}\rA-1,cust-1,a@example.com,,EUR,SKU-1,,1,1.00\r".encode(),
            "the CSV header is malformed: its lines seem to end with CR alone: save the file "
            "with LF or CRLF line endings",
        ),
    ],
    ids=[
        "csv-missing-column",
        "csv-unknown-column",
        "csv-encoding",
        "json",
        "json-object",
        "ndjson",
        "json-half-a-surrogate-pair",
        "ndjson-a-line-without-end",
        "csv-cr-line-endings",
    ],
)
def test_an_unparseable_file_fails_with_a_located_reason(
    db: str,
    states: ImportStates,
    runner: ImportRunner,
    file_type: FileType,
    body: bytes,
    reason: str,
) -> None:
    envelope = upload(states, body, file_type=file_type)
    file_id = file_id_of(envelope)

    assert runner.run(envelope) is Outcome.FAILED

    row = history_row(db, file_id)
    assert (row["status"], row["error"]) == ("FAILED", reason)
    [event] = outcome_events(FileFailed.event_type)
    assert isinstance(event.payload, FileFailed)
    assert event.payload.reason == reason
    assert stored_orders(db) == []


def test_the_same_file_twice_leaves_the_same_orders_unchanged(
    db: str, states: ImportStates, runner: ImportRunner
) -> None:
    assert runner.run(upload(states, CLEAN_CSV.encode())) is Outcome.COMPLETED
    before, stored_at = stored_orders(db), persisted_at(db)

    again = upload(states, CLEAN_CSV.encode())
    assert runner.run(again) is Outcome.COMPLETED

    assert counts(history_row(db, file_id_of(again))) == (3, 0, 3, 0)
    assert stored_orders(db) == before
    assert persisted_at(db) == stored_at


def test_a_changed_order_is_updated_and_another_tenants_is_its_own(
    db: str, states: ImportStates, runner: ImportRunner
) -> None:
    assert runner.run(upload(states, CLEAN_CSV.encode())) is Outcome.COMPLETED
    changed = CLEAN_CSV.replace("SKU-3,Gadget,3,1.50", "SKU-3,Gadget,4,1.50")

    again = upload(states, changed.encode())
    assert runner.run(again) is Outcome.COMPLETED
    other = upload(states, CLEAN_CSV.encode(), tenant=OTHER_TENANT)
    assert runner.run(other) is Outcome.COMPLETED

    assert counts(history_row(db, file_id_of(again))) == (3, 1, 2, 0)
    assert counts(history_row(db, file_id_of(other))) == (3, 3, 0, 0)
    totals = {(row[1], row[2]): row[4] for row in stored_orders(db)}
    assert totals[(TENANT, "cust-2")] == "6.00"
    assert totals[(OTHER_TENANT, "cust-2")] == "4.50"


def test_validate_mode_counts_and_reports_and_writes_nothing(
    db: str, store: StateStore, states: ImportStates, runner: ImportRunner
) -> None:
    # a tenant of its own: the state table outlives each test
    tenant = f"validating-{uuid.uuid4()}"
    body = CLEAN_CSV + "A-3,cust-3,bad,,EUR,SKU-1,,1,1.00\n"
    envelope = upload(states, body.encode(), mode=ImportMode.VALIDATE, tenant=tenant)
    file_id = file_id_of(envelope)

    assert runner.run(envelope) is Outcome.COMPLETED

    row = history_row(db, file_id)
    assert counts(row) == (4, 3, 0, 1)
    assert [line[:4] for line in report_rows(tenant, file_id)[1:]] == [
        ["5", "A-3", "customerEmail", "constraint-error"]
    ]
    assert stored_orders(db) == []


class _AfterEachBatch:
    """The real upserts, with `then` called as each batch has committed."""

    def __init__(self, inner: SqlOrderUpserts, then: Callable[[], object]) -> None:
        self._inner = inner
        self._then = then

    @contextmanager
    def session(self, *, source: str) -> Iterator[ImportSession]:
        with self._inner.session(source=source) as session:
            yield _Tapped(session, self._then)


class _Tapped:
    def __init__(self, inner: ImportSession, then: Callable[[], object]) -> None:
        self._inner = inner
        self._then = then

    def apply(self, orders: Sequence[Order], *, write: bool) -> BatchOutcome:
        outcome = self._inner.apply(orders, write=write)
        self._then()
        return outcome


def test_a_cancel_mid_import_keeps_the_committed_batches_and_says_how_many(
    db: str, engine: Engine, store: StateStore, states: ImportStates, runner: ImportRunner
) -> None:
    lines = [f"D-{n},cust-{n},c{n}@example.com,,EUR,SKU-1,,1,1.00" for n in range(1, 31)]
    envelope = upload(states, (HEADER + "\n" + "\n".join(lines) + "\n").encode())
    file_id = file_id_of(envelope)
    hooks = runner.hooks
    assert isinstance(hooks, ImportJobs)
    tapped = _AfterEachBatch(
        SqlOrderUpserts(engine),
        lambda: states.request_cancel(file_id, now=datetime.now(UTC)),
    )
    ticks = iter(range(0, 10**9, 60))
    cancelling = replace(
        runner,
        hooks=replace(hooks, upserts=tapped, batch_orders=10),
        monotonic=lambda: float(next(ticks)),
    )

    assert cancelling.run(envelope) is Outcome.CANCELLED

    row = history_row(db, file_id)
    assert row["status"] == "CANCELLED"
    assert counts(row) == (10, 10, 0, 0)
    assert len(stored_orders(db)) == 10
    assert open_uploads() == []


def test_a_file_malformed_past_its_first_batch_fails_keeping_and_counting_that_batch(
    db: str, states: ImportStates, runner: ImportRunner
) -> None:
    lines = [f"P-{n},cust-{n},c{n}@example.com,,EUR,SKU-1,,1,1.00" for n in range(1, 16)]
    malformed = 'P-BAD,cust-x,"x@example.com,,EUR,SKU-1,,1,1.00'
    envelope = upload(states, (HEADER + "\n" + "\n".join([*lines, malformed]) + "\n").encode())
    file_id = file_id_of(envelope)
    hooks = runner.hooks
    assert isinstance(hooks, ImportJobs)

    in_batches_of_ten = replace(runner, hooks=replace(hooks, batch_orders=10))
    assert in_batches_of_ten.run(envelope) is Outcome.FAILED

    row = history_row(db, file_id)
    assert row["status"] == "FAILED"
    assert counts(row) == (10, 10, 0, 0)
    assert row["error"].endswith("; the 10 rows of orders before it were imported")
    assert len(stored_orders(db)) == 10
    [event] = outcome_events(FileFailed.event_type)
    assert isinstance(event.payload, FileFailed)
    assert event.payload.reason == row["error"]
    assert open_uploads() == []


class _Killed(BaseException):
    """The process dying mid-import: no `except Exception` of the job core sees it, so
    the job is left PROCESSING under a lease that no one renews."""


def _kill_after(batches: int) -> Callable[[], None]:
    committed = itertools.count(1)

    def then() -> None:
        if next(committed) == batches:
            raise _Killed

    return then


def _numbered_orders(count: int, *, bad: Sequence[int]) -> bytes:
    """`count` orders of two items each (two lines), and at the lines after those
    numbered in `bad`, an order whose currency no one has."""
    lines: list[str] = []
    for n in range(1, count + 1):
        lines.append(f"R-{n},cust-{n:03d},c{n}@example.com,,EUR,SKU-1,,1,1.00")
        lines.append(f"R-{n},cust-{n:03d},c{n}@example.com,,EUR,SKU-2,,2,3.00")
        if n in bad:
            lines.append(f"X-{n},cust-x{n},x{n}@example.com,,ZZZ,SKU-1,,1,1.00")
    return (HEADER + "\n" + "\n".join(lines) + "\n").encode()


RESUMED_FILE = _numbered_orders(30, bad=(3, 25))
# Its rejected rows, in the error report: each once, though the file is read twice.
RESUMED_REJECTIONS = [
    ["8", "X-3", "currency", "unknown-currency"],
    ["53", "X-25", "currency", "unknown-currency"],
]


def _killed(
    runner: ImportRunner, upserts: SqlOrderUpserts, states: ImportStates, envelope: Envelope
) -> None:
    """A first attempt that dies once two batches of ten orders (19 valid) have committed."""
    hooks = runner.hooks
    assert isinstance(hooks, ImportJobs)
    tapped = _AfterEachBatch(upserts, _kill_after(2))
    dying = replace(runner, hooks=replace(hooks, upserts=tapped, batch_orders=10))
    with pytest.raises(_Killed):
        dying.run(envelope)
    job = states.get(file_id_of(envelope))
    assert job is not None
    assert job.status is JobStatus.PROCESSING


def _resumed(runner: ImportRunner, envelope: Envelope) -> None:
    """Another worker's attempt, once the dead one's lease has run out, to its end."""
    later = datetime.now(UTC) + timedelta(seconds=runner.lease_seconds + 1)
    resumed = replace(runner, owner=lambda: "test-worker/2", clock=lambda: later)
    assert resumed.run(envelope) is Outcome.COMPLETED


def test_an_import_killed_mid_file_and_resumed_imports_each_order_once(
    db: str, engine: Engine, store: StateStore, states: ImportStates, runner: ImportRunner
) -> None:
    # given a file of 30 orders (60 rows) and 2 rejected rows, imported by a worker that
    # dies once 19 orders have committed, then by another
    tenant = f"resumed-{uuid.uuid4()}"
    envelope = upload(states, RESUMED_FILE, tenant=tenant)
    file_id = file_id_of(envelope)
    _killed(runner, SqlOrderUpserts(engine), states, envelope)
    assert len(stored_orders(db)) == 19
    _resumed(runner, envelope)

    # then every order counts once, as imported (none as unchanged), and is stored once
    assert counts(history_row(db, file_id)) == (62, 60, 0, 2)
    assert [line[:4] for line in report_rows(tenant, file_id)[1:]] == RESUMED_REJECTIONS
    stored = stored_orders(db)
    assert [(row[2], row[4], row[6]) for row in stored] == [
        (f"cust-{n:03d}", "7.00", 2) for n in range(1, 31)
    ]
    assert {row[0] for row in stored} == {imported_order_id(tenant, f"R-{n}") for n in range(1, 31)}
    [event] = outcome_events(FileProcessed.event_type)
    assert isinstance(event.payload, FileProcessed)
    assert (event.payload.rows_imported, event.payload.rows_unchanged) == (60, 0)

    # and a second upload of the same file, another import, finds them all unchanged
    again = upload(states, RESUMED_FILE, tenant=tenant)
    assert runner.run(again) is Outcome.COMPLETED
    assert counts(history_row(db, file_id_of(again))) == (62, 0, 60, 2)
    assert stored_orders(db) == stored


def test_a_validation_killed_mid_file_and_resumed_counts_the_same_and_writes_nothing(
    db: str, engine: Engine, store: StateStore, states: ImportStates, runner: ImportRunner
) -> None:
    tenant = f"resumed-{uuid.uuid4()}"
    envelope = upload(states, RESUMED_FILE, mode=ImportMode.VALIDATE, tenant=tenant)
    file_id = file_id_of(envelope)

    _killed(runner, SqlOrderUpserts(engine), states, envelope)
    _resumed(runner, envelope)

    assert counts(history_row(db, file_id)) == (62, 60, 0, 2)
    assert [line[:4] for line in report_rows(tenant, file_id)[1:]] == RESUMED_REJECTIONS
    assert stored_orders(db) == []
