"""A second kind of job, defined only here (an import of rows), through the same job
store and job runner as exports, against DynamoDB and SNS on the moto server."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from conveyor_aws.job_store import LeasedJobStore
from conveyor_aws.publisher import EventPublisher
from conveyor_aws.state_store import StateStore
from conveyor_common.envelope import Envelope, Event, wrap
from conveyor_common.jobs import Job, JobKind, JobStatus
from conveyor_processor.jobs.announcer import SnsAnnouncer, announcement_sk, outcome_event_id
from conveyor_processor.jobs.failures import readable_reason
from conveyor_processor.jobs.ports import Progress
from conveyor_processor.jobs.runner import JobRunner, Outcome

pytestmark = pytest.mark.integration

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
LEASE_SECONDS = 30
COMPLETED = JobStatus.COMPLETED


class ImportJob(Job, frozen=True, kw_only=True):
    import_id: uuid.UUID
    file_name: str
    row_count: int
    imported_rows: int | None = None


class Imported(msgspec.Struct, frozen=True, kw_only=True):
    imported_rows: int


def _import_id(job: ImportJob) -> uuid.UUID:
    return job.import_id


IMPORT_JOBS = JobKind(key_prefix="IMPORT", record=ImportJob, result=Imported, id_of=_import_id)
ImportStore = LeasedJobStore[ImportJob, Imported]


class ImportRequested(Event, frozen=True, kw_only=True):
    event_type = "TestImportRequested"
    import_id: uuid.UUID


class ImportEnded(Event, frozen=True, kw_only=True):
    event_type = "TestImportEnded"
    import_id: uuid.UUID
    status: JobStatus


@dataclass
class Imports:
    """The import kind's hooks: `on_row` runs before each row is reported."""

    on_row: Callable[[int], None] = lambda row: None
    recorded: list[JobStatus] = field(default_factory=list)

    @property
    def noun(self) -> str:
        return "import"

    def request(self, envelope: Envelope) -> ImportRequested:
        assert isinstance(envelope.payload, ImportRequested)
        return envelope.payload

    def job_id(self, request: ImportRequested) -> uuid.UUID:
        return request.import_id

    def estimated_total(self, job: ImportJob) -> int:
        return job.row_count

    def clean_up_earlier_attempts(self, job: ImportJob) -> None:
        pass

    def record(self, job: ImportJob) -> None:
        self.recorded.append(job.status)

    def run(self, job: ImportJob, request: ImportRequested, *, progress: Progress) -> Imported:
        for row in range(1, job.row_count + 1):
            self.on_row(row)
            progress(row)
        return Imported(imported_rows=job.row_count)

    def readable_reason(self, exc: BaseException) -> str:
        return readable_reason(exc, noun=self.noun)

    def outcome_event(self, job: ImportJob, *, now: datetime) -> ImportEnded | None:
        return ImportEnded(import_id=job.import_id, status=job.status)


def an_import() -> ImportJob:
    return ImportJob(
        import_id=uuid.uuid4(),
        tenant_id="acme",
        status=JobStatus.QUEUED,
        file_name="customers.csv",
        row_count=4,
        created_at=NOW,
        expires_at=NOW + timedelta(days=1),
    )


@pytest.fixture
def items(aws: dict[str, str]) -> StateStore:
    return StateStore(table=aws["STATE_TABLE"])


@pytest.fixture
def store(items: StateStore) -> ImportStore:
    return LeasedJobStore(items, IMPORT_JOBS)


def test_an_import_is_claimed_renewed_and_finished_under_its_own_key(
    items: StateStore, store: ImportStore
) -> None:
    # given
    job = an_import()
    assert store.create(job)

    # when claimed, renewed with progress, and finished with its result
    assert store.claim(job.import_id, owner="w1", lease_seconds=LEASE_SECONDS, now=NOW)
    assert store.claim(job.import_id, owner="w2", lease_seconds=LEASE_SECONDS, now=NOW) is None
    renewed = store.renew(
        job.import_id, owner="w1", lease_seconds=LEASE_SECONDS, now=NOW, progress_percentage=50
    )
    assert (renewed.progress_percentage if renewed else None) == 50
    assert store.renew(job.import_id, owner="w2", lease_seconds=LEASE_SECONDS, now=NOW) is None
    done = store.finish(
        job.import_id,
        owner="w1",
        status=JobStatus.COMPLETED,
        now=NOW,
        progress_percentage=100,
        result=Imported(imported_rows=4),
    )

    # then the record is the import's, kept as IMPORT#{id} / STATE
    assert done is not None
    assert (done.status, done.imported_rows, done.progress_percentage) == (COMPLETED, 4, 100)
    assert (done.attempts, done.started_at, done.completed_at, done.lease_owner) == (
        1,
        NOW,
        NOW,
        None,
    )
    assert store.get(job.import_id) == done
    item = items.get(f"IMPORT#{job.import_id}", "STATE")
    assert item is not None
    assert (item["import_id"], item["imported_rows"]) == (str(job.import_id), 4)
    assert items.get(f"EXPORT#{job.import_id}", "STATE") is None
    assert store.claim(job.import_id, owner="w3", lease_seconds=5, now=NOW) is None


def test_an_import_is_cancelled_at_once_when_queued_and_flagged_when_running(
    store: ImportStore,
) -> None:
    queued, running = an_import(), an_import()
    store.create(queued)
    store.create(running)
    store.claim(running.import_id, owner="w1", lease_seconds=LEASE_SECONDS, now=NOW)

    cancelled = store.request_cancel(queued.import_id, now=NOW)
    flagged = store.request_cancel(running.import_id, now=NOW)

    assert cancelled is not None
    assert (cancelled.status, cancelled.completed_at) == (JobStatus.CANCELLED, NOW)
    assert flagged is not None
    assert (flagged.status, flagged.cancel_requested) == (JobStatus.PROCESSING, True)
    assert store.request_cancel(uuid.uuid4(), now=NOW) is None


@dataclass
class Pipeline:
    store: ImportStore
    items: StateStore
    imports: Imports
    runner: JobRunner[ImportJob, Imported, ImportRequested]

    def deliver(self, job: ImportJob) -> Outcome:
        request = ImportRequested(import_id=job.import_id)
        return self.runner.run(wrap(request, tenant_id=job.tenant_id, correlation_id="corr"))


@pytest.fixture
def pipeline(aws: dict[str, str], items: StateStore, store: ImportStore) -> Pipeline:
    imports = Imports()
    ticks = iter(range(0, 10**9, 60))
    runner = JobRunner(
        hooks=imports,
        states=store,
        announcer=SnsAnnouncer(
            publisher=EventPublisher(topic_arn=aws["EVENTS_TOPIC_ARN"]),
            store=items,
            kind=IMPORT_JOBS,
        ),
        owner=lambda: "test-worker/1",
        lease_seconds=LEASE_SECONDS,
        # A minute per reading: every row reports its progress.
        monotonic=lambda: float(next(ticks)),
    )
    return Pipeline(store=store, items=items, imports=imports, runner=runner)


def test_the_job_runner_runs_an_import_with_progress_and_announces_it_once(
    pipeline: Pipeline,
) -> None:
    # given the import's progress is watched at each row
    job = an_import()
    pipeline.store.create(job)
    seen: list[int] = []

    def watch(row: int) -> None:
        current = pipeline.store.get(job.import_id)
        assert current is not None
        seen.append(current.progress_percentage)

    pipeline.imports.on_row = watch

    # when delivered twice
    outcomes = [pipeline.deliver(job), pipeline.deliver(job)]

    # then it ran once, with progress, and its outcome's mark sits beside its state
    assert outcomes == [Outcome.COMPLETED, Outcome.ALREADY_FINISHED]
    assert seen == [0, 25, 50, 75]
    done = pipeline.store.get(job.import_id)
    assert done is not None
    assert (done.status, done.imported_rows, done.attempts) == (JobStatus.COMPLETED, 4, 1)
    assert pipeline.imports.recorded == [
        JobStatus.PROCESSING,
        JobStatus.COMPLETED,
        JobStatus.COMPLETED,
    ]
    event_id = outcome_event_id(job.import_id, JobStatus.COMPLETED)
    mark = pipeline.items.get(f"IMPORT#{job.import_id}", announcement_sk(event_id))
    assert mark is not None
    assert mark["event_type"] == "TestImportEnded"


def test_the_job_runner_stops_a_cancelled_import_at_its_next_report(pipeline: Pipeline) -> None:
    # given an import cancelled while its second row is read
    job = an_import()
    pipeline.store.create(job)

    def cancel_at_the_second_row(row: int) -> None:
        if row == 2:
            pipeline.store.request_cancel(job.import_id, now=NOW)

    pipeline.imports.on_row = cancel_at_the_second_row

    # when
    outcome = pipeline.deliver(job)

    # then
    assert outcome is Outcome.CANCELLED
    cancelled = pipeline.store.get(job.import_id)
    assert cancelled is not None
    assert (cancelled.status, cancelled.imported_rows) == (JobStatus.CANCELLED, None)
    # the report that saw the cancel had recorded the second row
    assert cancelled.progress_percentage == 50
