"""Imports through the job runner with in-memory fakes: the counts, the report, the
outcome events, validate mode and a cancel that keeps what was committed."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import msgspec
import pytest
from structlog.testing import capture_logs
from tests.unit.processor.jobs.fakes import FakeAnnouncer, FakeStates, ten_seconds_per_reading

from conveyor_common.envelope import Envelope, wrap
from conveyor_common.events import FileFailed, FileProcessed, FileUploaded
from conveyor_common.imports.job import ImportJob
from conveyor_common.imports.model import FileType, ImportMode, error_report_key
from conveyor_common.jobs import JobStatus
from conveyor_common.orders import Order
from conveyor_processor.imports.kind import ImportJobs, ImportRunner
from conveyor_processor.imports.ports import BatchOutcome
from conveyor_processor.jobs.runner import Outcome

NOW = datetime(2026, 5, 1, 9, tzinfo=UTC)
HEADER = "orderId,customerId,customerEmail,currency,sku,quantity,unitPrice\n"


class _Sink(io.BytesIO):
    pass


@dataclass
class FakeFiles:
    uploads: dict[tuple[str, str], bytes] = field(default_factory=dict)
    reports: dict[str, bytes] = field(default_factory=dict)

    def open_upload(self, bucket: str, key: str) -> io.BytesIO:
        return io.BytesIO(self.uploads[(bucket, key)])

    @contextmanager
    def open_report(self, bucket: str, key: str) -> Iterator[_Sink]:
        sink = _Sink()
        yield sink
        self.reports[key] = sink.getvalue()

    def abort_uploads(self, bucket: str, prefix: str) -> int:
        return 0

    def link(self, bucket: str, key: str, *, expires_at: datetime) -> str:
        return f"https://s3.example/{key}?until={expires_at.isoformat()}"


@dataclass
class FakeUpserts:
    stored: dict[uuid.UUID, Order] = field(default_factory=dict)
    on_apply: list[Callable[[], object]] = field(default_factory=list)

    @contextmanager
    def session(self, *, source: str) -> Iterator[FakeSession]:
        yield FakeSession(self)


class FakeSession:
    def __init__(self, upserts: FakeUpserts) -> None:
        self._upserts = upserts
        self._seen: set[uuid.UUID] = set()

    def apply(self, orders: Sequence[Order], *, write: bool) -> BatchOutcome:
        duplicates: set[int] = set()
        written: set[int] = set()
        for position, order in enumerate(orders):
            if order.order_id in self._seen:
                duplicates.add(position)
                continue
            self._seen.add(order.order_id)
            stored = self._upserts.stored.get(order.order_id)
            if stored is None or stored.items != order.items:
                written.add(position)
                if write:
                    self._upserts.stored[order.order_id] = order
        for action in self._upserts.on_apply:
            action()
        return BatchOutcome(duplicates=frozenset(duplicates), written=frozenset(written))


@dataclass
class FakeHistory:
    rows: dict[uuid.UUID, ImportJob] = field(default_factory=dict)

    def upsert(self, job: ImportJob) -> None:
        self.rows[job.file_id] = job


def job_and_event(
    body: bytes, *, mode: ImportMode = ImportMode.IMPORT, file_type: FileType = FileType.CSV
) -> tuple[ImportJob, Envelope]:
    file_id = uuid.uuid4()
    job = ImportJob(
        file_id=file_id,
        tenant_id="acme",
        requested_by="alice",
        original_name="orders.csv",
        bucket="uploads",
        object_key=f"uploads/acme/{file_id}/orders.csv",
        file_type=file_type,
        file_size_bytes=len(body),
        mode=mode,
        notify=("alice@example.com",),
        status=JobStatus.QUEUED,
        created_at=NOW,
        expires_at=NOW + timedelta(days=30),
    )
    event = FileUploaded(
        file_id=file_id,
        requested_by="alice",
        original_name="orders.csv",
        mode=mode,
        notify=job.notify,
        bucket=job.bucket,
        object_key=job.object_key,
        file_type=file_type,
        file_size_bytes=len(body),
        uploaded_at=NOW,
        expires_at=job.expires_at,
    )
    return job, wrap(event, tenant_id="acme", correlation_id="corr")


def runner_for(
    job: ImportJob, body: bytes, *, upserts: FakeUpserts | None = None, batch_orders: int = 500
) -> tuple[ImportRunner, FakeStates[ImportJob], FakeFiles, FakeAnnouncer, FakeHistory]:
    files = FakeFiles(uploads={(job.bucket, job.object_key): body})
    states = FakeStates(job, id_of=lambda job: job.file_id)
    announcer, history = FakeAnnouncer(), FakeHistory()
    runner = ImportRunner(
        hooks=ImportJobs(
            history=history,
            files=files,
            upserts=upserts or FakeUpserts(),
            batch_orders=batch_orders,
        ),
        states=states,
        announcer=announcer,
        lease_seconds=60,
        clock=lambda: NOW,
        monotonic=ten_seconds_per_reading(),
    )
    return runner, states, files, announcer, history


def test_a_file_with_a_rejected_row_completes_with_its_report_and_link() -> None:
    body = (HEADER + "A,c,e@x.io,EUR,S,1,1.00\nB,c,bad,EUR,S,1,1.00\n").encode()
    job, envelope = job_and_event(body)
    runner, states, files, announcer, history = runner_for(job, body)

    assert runner.run(envelope) is Outcome.COMPLETED

    done = states.jobs[job.file_id]
    key = error_report_key("acme", job.file_id)
    assert (done.rows_total, done.rows_imported, done.rows_unchanged, done.rows_rejected) == (
        2,
        1,
        0,
        1,
    )
    assert done.error_report_key == key
    assert files.reports[key].decode().splitlines()[1].startswith("3,B,customerEmail,constraint")
    assert history.rows[job.file_id].status is JobStatus.COMPLETED
    [published] = announcer.published
    assert isinstance(published.payload, FileProcessed)
    week_on = (NOW + timedelta(days=7)).isoformat()
    assert published.payload.error_report_url == f"https://s3.example/{key}?until={week_on}"


def test_validate_mode_counts_as_an_import_would_and_writes_nothing() -> None:
    body = (HEADER + "A,c,e@x.io,EUR,S,1,1.00\n").encode()
    job, envelope = job_and_event(body, mode=ImportMode.VALIDATE)
    upserts = FakeUpserts()
    runner, states, files, _, _ = runner_for(job, body, upserts=upserts)

    assert runner.run(envelope) is Outcome.COMPLETED

    assert states.jobs[job.file_id].rows_imported == 1
    assert upserts.stored == {}
    assert files.reports == {}


def test_an_unreadable_file_fails_with_its_reason_announced() -> None:
    body = b"orderId\n"
    job, envelope = job_and_event(body)
    runner, states, _, announcer, _ = runner_for(job, body)

    assert runner.run(envelope) is Outcome.FAILED

    assert states.jobs[job.file_id].error == "the header lacks the column 'customerId'"
    [published] = announcer.published
    assert isinstance(published.payload, FileFailed)


@pytest.mark.parametrize(
    ("mode", "counts", "reason_ends"),
    [
        (ImportMode.IMPORT, (20, 20), "; the 20 rows of orders before it were imported"),
        # A dry run wrote nothing: its failure says nothing of what it checked.
        (ImportMode.VALIDATE, (None, None), "at line 27: unexpected end of data"),
    ],
)
def test_a_file_malformed_past_its_first_batches_fails_saying_what_was_imported(
    mode: ImportMode, counts: tuple[int | None, int | None], reason_ends: str
) -> None:
    rows = "".join(f"O-{n},c,e@x.io,EUR,S,1,1.00\n" for n in range(25))
    body = (HEADER + rows + 'BAD,c,"e@x.io,EUR,S,1,1.00\n').encode()
    job, envelope = job_and_event(body, mode=mode)
    upserts = FakeUpserts()
    runner, states, _, announcer, _ = runner_for(job, body, upserts=upserts, batch_orders=10)

    assert runner.run(envelope) is Outcome.FAILED

    failed = states.jobs[job.file_id]
    assert (failed.rows_total, failed.rows_imported) == counts
    assert failed.error is not None
    assert failed.error.startswith("the CSV file is malformed at line")
    assert failed.error.endswith(reason_ends)
    assert len(upserts.stored) == (20 if mode is ImportMode.IMPORT else 0)
    [published] = announcer.published
    assert isinstance(published.payload, FileFailed)
    assert published.payload.reason == failed.error


class Batched(NamedTuple):
    runner: ImportRunner
    states: FakeStates[ImportJob]
    announcer: FakeAnnouncer
    upserts: FakeUpserts
    job: ImportJob
    envelope: Envelope


def changed_after_each_batch(**change: Any) -> Batched:
    """25 orders read in batches of ten; after each batch the job's record takes `change`
    (another worker, or its owner, acting meanwhile)."""
    rows = "".join(f"O-{n},c,e@x.io,EUR,S,1,1.00\n" for n in range(25))
    body = (HEADER + rows).encode()
    job, envelope = job_and_event(body)
    upserts = FakeUpserts()
    runner, states, _, announcer, _ = runner_for(job, body, upserts=upserts, batch_orders=10)
    upserts.on_apply.append(
        lambda: states.put(msgspec.structs.replace(states.jobs[job.file_id], **change))
    )
    return Batched(runner, states, announcer, upserts, job, envelope)


def test_a_lease_lost_after_a_committed_batch_is_left_to_the_new_owner() -> None:
    runner, states, announcer, _, job, envelope = changed_after_each_batch(lease_owner="other")

    with capture_logs() as logs:
        assert runner.run(envelope) is Outcome.LEASE_LOST

    assert states.jobs[job.file_id].status is JobStatus.PROCESSING
    assert [log["event"] for log in logs if log["log_level"] == "error"] == []
    assert announcer.published == []


def test_a_cancel_records_the_counts_of_the_committed_batches() -> None:
    runner, states, announcer, upserts, job, envelope = changed_after_each_batch(
        cancel_requested=True
    )

    assert runner.run(envelope) is Outcome.CANCELLED

    cancelled = states.jobs[job.file_id]
    assert (cancelled.rows_total, cancelled.rows_imported, cancelled.rows_rejected) == (10, 10, 0)
    assert len(upserts.stored) == 10
    assert announcer.published == []
