"""Exports through the job runner with in-memory fakes: outcomes, retries, cancellation,
duplicates, and what a crash leaves behind."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import psycopg
import pytest
from botocore.exceptions import EndpointConnectionError
from tests.unit.processor.jobs.fakes import (
    FakeAnnouncer,
    FakeStates,
    epoch,
    ten_seconds_per_reading,
)

from conveyor_common.envelope import Envelope, wrap
from conveyor_common.events import ExportCompleted, ExportFailed, ExportRequested
from conveyor_common.exports.job import EXPORT_JOBS, ExportJob
from conveyor_common.exports.model import ExportFormat
from conveyor_common.exports.registry import ResolvedExport
from conveyor_common.jobs import JobStatus
from conveyor_processor.exports.kind import ExportJobs, ExportRunner
from conveyor_processor.exports.ports import Sink
from conveyor_processor.exports.writers.pdf import PdfRenderFailed, stopped_reason
from conveyor_processor.jobs.announcer import outcome_event_id
from conveyor_processor.jobs.failures import ReadableFailure
from conveyor_processor.jobs.policy import MAX_ATTEMPTS, RETRY_WINDOW, gave_up_reason
from conveyor_processor.jobs.ports import Progress
from conveyor_processor.jobs.runner import Outcome

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
OWNER = "worker-a/1"
LEASE_SECONDS = 60


@dataclass
class FakeHistory:
    rows: list[ExportJob] = field(default_factory=list)
    # Raised by the next upsert, once.
    error: Exception | None = None

    def upsert(self, job: ExportJob) -> None:
        if self.error is not None:
            error, self.error = self.error, None
            raise error
        self.rows.append(job)


class BufferSink:
    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: bytes | bytearray | memoryview) -> int:
        self.data += data
        return len(data)

    def tell(self) -> int:
        return len(self.data)


@dataclass
class FakeFiles:
    stored: dict[str, bytes] = field(default_factory=dict)
    aborted: list[str] = field(default_factory=list)
    # Keys of multipart uploads left open (by killed attempts), and the calls made, in order.
    open_uploads: list[str] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    abort_uploads_error: Exception | None = None
    # The keys of the files e-mail links were made for.
    links: list[str] = field(default_factory=list)

    @contextmanager
    def open(self, key: str, *, content_type: str, file_name: str) -> Iterator[Sink]:
        self.calls.append(f"open {key}")
        sink = BufferSink()
        try:
            yield sink
        except BaseException:
            self.aborted.append(key)
            raise
        self.stored[key] = bytes(sink.data)

    def abort_uploads(self, prefix: str) -> int:
        self.calls.append(f"abort uploads {prefix}")
        if self.abort_uploads_error is not None:
            raise self.abort_uploads_error
        under = [key for key in self.open_uploads if key.startswith(prefix)]
        self.open_uploads = [key for key in self.open_uploads if key not in under]
        return len(under)

    def link(self, key: str, *, expires_at: datetime) -> str:
        self.links.append(key)
        return f"https://files.example/{key}?until={expires_at.isoformat()}"


class FakeRenderer:
    """Writes `rows` lines, offering progress after each; may fail or act midway."""

    def __init__(
        self, *, rows: int = 3, error: Exception | None = None, midway: Any = None
    ) -> None:
        self.rows = rows
        self.error = error
        self.midway = midway

    def __call__(
        self, job: ExportJob, export: ResolvedExport, *, sink: Sink, progress: Progress
    ) -> int:
        sink.write(b"header\n")
        for row in range(1, self.rows + 1):
            if row == 2 and self.midway is not None:
                self.midway()
            sink.write(b"row %d\n" % row)
            progress(row)
            if row == 2 and self.error is not None:
                raise self.error
        return self.rows


def a_job(**changes: Any) -> ExportJob:
    job = ExportJob(
        export_id=uuid.uuid4(),
        tenant_id="acme",
        requested_by="alice",
        resource="orders",
        format=ExportFormat.CSV,
        filters={"currency": "EUR"},
        title="Q2",
        notify=("alice@example.com",),
        status=JobStatus.QUEUED,
        estimated_row_count=3,
        created_at=NOW,
        expires_at=NOW + timedelta(days=30),
    )
    return msgspec.structs.replace(job, **changes)


def requested(job: ExportJob) -> Envelope:
    payload = ExportRequested(
        export_id=job.export_id,
        requested_by=job.requested_by,
        resource=job.resource,
        format=job.format,
        title=job.title,
        notify=job.notify,
        filters=job.filters,
        columns=job.columns,
        include_bom=False,
        estimated_row_count=job.estimated_row_count,
        requested_at=NOW,
        expires_at=job.expires_at,
    )
    return wrap(payload, tenant_id=job.tenant_id, correlation_id="corr-1")


@dataclass
class World:
    job: ExportJob
    states: FakeStates[ExportJob]
    history: FakeHistory = field(default_factory=FakeHistory)
    files: FakeFiles = field(default_factory=FakeFiles)
    announcer: FakeAnnouncer = field(default_factory=FakeAnnouncer)

    def runner(self, render: FakeRenderer, *, owner: str = OWNER) -> ExportRunner:
        return ExportRunner(
            hooks=ExportJobs(history=self.history, files=self.files, render=render),
            states=self.states,
            announcer=self.announcer,
            owner=lambda: owner,
            lease_seconds=LEASE_SECONDS,
            clock=lambda: NOW,
            monotonic=ten_seconds_per_reading(),
        )

    def run(self, render: FakeRenderer | None = None, *, owner: str = OWNER) -> Outcome:
        return self.runner(render or FakeRenderer(), owner=owner).run(requested(self.job))

    @property
    def current(self) -> ExportJob:
        job = self.states.get(self.job.export_id)
        assert job is not None
        return job


@pytest.fixture
def world() -> World:
    job = a_job()
    return World(job=job, states=FakeStates(job, id_of=EXPORT_JOBS.id_of))


def test_a_completed_export_is_stored_recorded_and_announced(world: World) -> None:
    # when
    outcome = world.run()

    # then
    key = f"exports/acme/{world.job.export_id}/q2.csv"
    assert outcome is Outcome.COMPLETED
    assert world.files.stored == {key: b"header\nrow 1\nrow 2\nrow 3\n"}
    assert (world.current.status, world.current.actual_row_count) == (JobStatus.COMPLETED, 3)
    assert (world.current.file_size_bytes, world.current.object_key) == (25, key)
    assert [row.status for row in world.history.rows] == [
        JobStatus.PROCESSING,
        JobStatus.COMPLETED,
    ]
    [announced] = world.announcer.published
    assert announced.event_id == outcome_event_id(world.job.export_id, JobStatus.COMPLETED)
    assert isinstance(announced.payload, ExportCompleted)
    week_on = NOW + timedelta(days=7)
    assert (
        announced.payload.download_url == f"https://files.example/{key}?until={week_on.isoformat()}"
    )
    assert announced.payload.download_url_expires_at == week_on
    assert (announced.payload.row_count, announced.payload.size_bytes) == (3, 25)


def test_a_transient_error_gives_the_job_back_without_spending_an_attempt(world: World) -> None:
    # when
    with pytest.raises(psycopg.OperationalError):
        world.run(FakeRenderer(error=psycopg.OperationalError("server closed the connection")))

    # then nothing is stored or announced, and the next delivery may reclaim at once
    assert world.files.stored == {}
    assert world.files.aborted == [f"exports/acme/{world.job.export_id}/q2.csv"]
    assert world.announcer.published == []
    assert world.current.status is JobStatus.PROCESSING
    assert (world.current.lease_expires_at or 0) < epoch(NOW)
    assert (
        world.current.last_error
        == "the database could not be reached: server closed the connection"
    )
    assert world.run(owner="worker-b/1") is Outcome.COMPLETED
    assert world.current.attempts == 1


def test_an_outage_longer_than_the_attempts_does_not_fail_the_export(world: World) -> None:
    # given the database fails more deliveries in a row than an export has attempts
    down = FakeRenderer(error=psycopg.OperationalError("connection refused"))
    for _ in range(MAX_ATTEMPTS + 2):
        with pytest.raises(psycopg.OperationalError):
            world.run(down)

    # when it is back
    outcome = world.run()

    # then the export completes, as if the outage had not been
    assert outcome is Outcome.COMPLETED
    assert world.current.attempts == 1
    assert world.current.retrying_since == NOW


def test_a_history_outage_before_the_run_gives_the_job_back_too(world: World) -> None:
    # given PostgreSQL refuses the history write that precedes the run
    world.history.error = psycopg.OperationalError("the database system is starting up")

    # when / then
    with pytest.raises(psycopg.OperationalError):
        world.run()
    assert (world.current.attempts, world.current.status) == (0, JobStatus.PROCESSING)
    assert (world.current.lease_expires_at or 0) < epoch(NOW)


def test_an_export_whose_dependencies_stay_down_past_the_window_fails(world: World) -> None:
    # given dependencies have failed the export since longer ago than the retry window
    world.states.jobs[world.job.export_id] = msgspec.structs.replace(
        world.job, retrying_since=NOW - RETRY_WINDOW
    )

    # when
    outcome = world.run(FakeRenderer(error=psycopg.OperationalError("connection refused")))

    # then it ends FAILED with the cause, and its requester hears of it
    assert outcome is Outcome.FAILED
    assert world.current.error == gave_up_reason(
        "the database could not be reached: connection refused", RETRY_WINDOW
    )
    assert "6 h" in (world.current.error or "")
    [announced] = world.announcer.published
    assert isinstance(announced.payload, ExportFailed)
    assert world.files.stored == {}


def test_a_permanent_error_fails_at_once(world: World) -> None:
    outcome = world.run(FakeRenderer(error=psycopg.errors.UndefinedTable('"orders" is gone')))
    assert outcome is Outcome.FAILED
    assert world.current.error == 'the database refused the query: "orders" is gone'
    assert world.history.rows[-1].status is JobStatus.FAILED


def test_a_cancel_seen_at_a_heartbeat_stops_the_export_quietly(world: World) -> None:
    # given a cancel arrives while rows are written
    def cancel() -> None:
        world.states.jobs[world.job.export_id] = msgspec.structs.replace(
            world.current, cancel_requested=True
        )

    # when
    outcome = world.run(FakeRenderer(midway=cancel))

    # then
    assert outcome is Outcome.CANCELLED
    assert world.current.status is JobStatus.CANCELLED
    assert world.files.stored == {}
    assert world.announcer.published == []
    assert world.history.rows[-1].status is JobStatus.CANCELLED


def test_a_lost_lease_leaves_the_outcome_to_the_new_owner(world: World) -> None:
    # given another worker takes the job over midway
    def steal() -> None:
        world.states.jobs[world.job.export_id] = msgspec.structs.replace(
            world.current, lease_owner="worker-b/1"
        )

    # when
    outcome = world.run(FakeRenderer(midway=steal))

    # then
    assert outcome is Outcome.LEASE_LOST
    assert world.current.status is JobStatus.PROCESSING
    assert world.files.stored == {}
    assert world.announcer.published == []


def test_a_redelivery_after_a_crash_before_the_announcement_announces_once(world: World) -> None:
    # given the job failed but the worker died before announcing it
    world.states.jobs[world.job.export_id] = msgspec.structs.replace(
        world.job, status=JobStatus.FAILED, error="the database refused the query: x"
    )

    # when delivered twice more
    outcomes = [world.run(), world.run()]

    # then
    assert outcomes == [Outcome.ALREADY_FINISHED, Outcome.ALREADY_FINISHED]
    [announced] = world.announcer.published
    assert announced.event_id == outcome_event_id(world.job.export_id, JobStatus.FAILED)
    assert [row.status for row in world.history.rows] == [JobStatus.FAILED] * 2


def test_a_redelivery_after_the_announcement_stores_no_second_link(world: World) -> None:
    # given an export completed and announced with its e-mail's link
    assert world.run() is Outcome.COMPLETED

    # when delivered again
    assert world.run() is Outcome.ALREADY_FINISHED

    # then the one link record is the announced one's
    assert world.files.links == [world.current.object_key]
    assert len(world.announcer.published) == 1


def test_a_job_interrupted_too_often_fails_without_running(world: World) -> None:
    # given the last allowed attempt's worker died
    world.states.jobs[world.job.export_id] = msgspec.structs.replace(
        world.job,
        status=JobStatus.PROCESSING,
        attempts=MAX_ATTEMPTS,
        lease_owner="dead",
        lease_expires_at=epoch(NOW) - 1,
    )

    # when
    outcome = world.run()

    # then
    assert outcome is Outcome.FAILED
    assert world.current.error == f"the export was interrupted {MAX_ATTEMPTS} times"
    assert world.files.stored == {}
    assert len(world.announcer.published) == 1


def test_an_unknown_export_is_dropped(world: World) -> None:
    world.states.jobs.clear()
    assert world.run() is Outcome.UNKNOWN_JOB
    assert world.history.rows == []


# --- a crash leaves nothing behind --------------------------------------------------------------


def a_dead_workers_job(world: World, **changes: Any) -> None:
    """The job as a worker that died mid-export left it: claimed, its lease run out."""
    left = {"attempts": 1, "lease_owner": "dead", "lease_expires_at": epoch(NOW) - 1}
    world.states.jobs[world.job.export_id] = msgspec.structs.replace(
        world.job, status=JobStatus.PROCESSING, **(left | changes)
    )


def test_a_reclaimed_export_aborts_what_the_dead_attempt_left_open_before_writing(
    world: World,
) -> None:
    # given the dead attempt's upload is still open, beside another export's
    prefix = f"exports/acme/{world.job.export_id}/"
    other = f"exports/acme/{uuid.uuid4()}/q2.csv"
    world.files.open_uploads = [f"{prefix}q2.csv", other]
    a_dead_workers_job(world)

    # when
    outcome = world.run()

    # then the leftover went first, and only this export's
    assert outcome is Outcome.COMPLETED
    assert world.files.calls == [f"abort uploads {prefix}", f"open {prefix}q2.csv"]
    assert world.files.open_uploads == [other]
    assert world.current.attempts == 2


def test_a_first_attempt_has_no_earlier_uploads_to_look_for(world: World) -> None:
    assert world.run() is Outcome.COMPLETED
    assert world.files.calls == [f"open exports/acme/{world.job.export_id}/q2.csv"]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"attempts": MAX_ATTEMPTS}, Outcome.FAILED),
        ({"cancel_requested": True}, Outcome.CANCELLED),
    ],
    ids=["interrupted too often", "cancelled"],
)
def test_a_reclaim_that_only_records_the_outcome_still_aborts_leftovers(
    world: World, changes: dict[str, Any], expected: Outcome
) -> None:
    # given
    world.files.open_uploads = [f"exports/acme/{world.job.export_id}/q2.csv"]
    a_dead_workers_job(world, **changes)

    # when
    outcome = world.run()

    # then nothing is written, and nothing is left open
    assert outcome is expected
    assert world.current.status.value == expected.value
    assert world.files.open_uploads == []
    assert world.files.calls == [f"abort uploads exports/acme/{world.job.export_id}/"]


def test_a_reclaim_that_cannot_reach_s3_is_retried_before_writing(world: World) -> None:
    # given
    world.files.abort_uploads_error = EndpointConnectionError(endpoint_url="http://s3")
    a_dead_workers_job(world)

    # when / then: a transient failure, like any other in the attempt
    with pytest.raises(EndpointConnectionError):
        world.run()
    assert world.files.calls == [f"abort uploads exports/acme/{world.job.export_id}/"]
    assert (world.current.lease_expires_at or 0) < epoch(NOW)
    assert world.announcer.published == []


def test_a_cancel_is_recorded_even_when_leftovers_cannot_be_aborted(world: World) -> None:
    world.files.abort_uploads_error = EndpointConnectionError(endpoint_url="http://s3")
    a_dead_workers_job(world, cancel_requested=True)
    assert world.run() is Outcome.CANCELLED
    assert world.current.status is JobStatus.CANCELLED


# --- readable reasons --------------------------------------------------------------------------


def test_a_killed_pdf_renderer_is_the_reason_the_export_failed(world: World) -> None:
    # given the renderer child was killed (the OOM killer's signal)
    killed = PdfRenderFailed(stopped_reason(-9))

    # when
    outcome = world.run(FakeRenderer(error=killed))

    # then the user reads the cause, not just the exception's name
    assert outcome is Outcome.FAILED
    assert world.current.error == "the PDF renderer stopped (killed by signal 9)"
    [announced] = world.announcer.published
    assert isinstance(announced.payload, ExportFailed)
    assert announced.payload.reason == world.current.error


def test_any_failure_written_for_users_is_passed_on_as_it_is(world: World) -> None:
    class QuotaExceeded(ReadableFailure):
        pass

    world.run(FakeRenderer(error=QuotaExceeded("the export is larger than allowed\ndetails")))
    assert world.current.error == "the export is larger than allowed"


def test_an_unexpected_error_names_only_its_type(world: World) -> None:
    world.run(FakeRenderer(error=KeyError("/srv/secret/path")))
    assert world.current.error == "the export failed unexpectedly (KeyError)"
