"""The life of a job, with a kind defined here (counting to a target) and in-memory fakes:
claim, progress, outcome, retries, cancel, duplicates."""

from __future__ import annotations

import uuid
from collections.abc import Callable
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

from conveyor_common.envelope import Envelope, Event, wrap
from conveyor_common.jobs import Job, JobKind, JobStatus
from conveyor_common.log import bound_fields
from conveyor_processor.jobs.announcer import outcome_event_id
from conveyor_processor.jobs.failures import readable_reason
from conveyor_processor.jobs.policy import MAX_ATTEMPTS, RETRY_WINDOW, JobBusy, gave_up_reason
from conveyor_processor.jobs.ports import Progress
from conveyor_processor.jobs.rates import RowRates
from conveyor_processor.jobs.runner import JobRunner, Outcome

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
OWNER = "worker-a/1"
LEASE_SECONDS = 60


class CountJob(Job, frozen=True, kw_only=True):
    count_id: uuid.UUID
    target: int
    counted: int | None = None


class Counted(msgspec.Struct, frozen=True, kw_only=True):
    counted: int


def _count_id(job: CountJob) -> uuid.UUID:
    return job.count_id


COUNT_JOBS = JobKind(key_prefix="COUNT", record=CountJob, result=Counted, id_of=_count_id)


class CountRequested(Event, frozen=True, kw_only=True):
    event_type = "CountRequested"
    count_id: uuid.UUID


class CountEnded(Event, frozen=True, kw_only=True):
    event_type = "CountEnded"
    count_id: uuid.UUID
    status: JobStatus
    error: str | None


@dataclass
class CountJobs:
    """The counting kind's hooks; `work` is called at each unit before it is reported."""

    work: Callable[[int], None] = lambda unit: None
    recorded: list[CountJob] = field(default_factory=list)
    cleanups: int = 0
    cleanup_error: Exception | None = None
    log_context: list[dict[str, Any]] = field(default_factory=list)

    @property
    def noun(self) -> str:
        return "count"

    def request(self, envelope: Envelope) -> CountRequested:
        if not isinstance(envelope.payload, CountRequested):
            raise TypeError(envelope.event_type)
        return envelope.payload

    def job_id(self, request: CountRequested) -> uuid.UUID:
        return request.count_id

    def estimated_total(self, job: CountJob) -> int:
        return job.target

    def clean_up_earlier_attempts(self, job: CountJob) -> None:
        self.cleanups += 1
        if self.cleanup_error is not None:
            raise self.cleanup_error

    def record(self, job: CountJob) -> None:
        self.recorded.append(job)

    def run(self, job: CountJob, request: CountRequested, *, progress: Progress) -> Counted:
        self.log_context.append(bound_fields())
        for unit in range(1, job.target + 1):
            self.work(unit)
            progress(unit)
        return Counted(counted=job.target)

    def readable_reason(self, exc: BaseException) -> str:
        return readable_reason(exc, noun=self.noun)

    def outcome_event(self, job: CountJob, *, now: datetime) -> CountEnded | None:
        if job.status is JobStatus.CANCELLED:
            return None
        return CountEnded(count_id=job.count_id, status=job.status, error=job.error)


def a_job(**changes: Any) -> CountJob:
    job = CountJob(
        count_id=uuid.uuid4(),
        tenant_id="acme",
        status=JobStatus.QUEUED,
        target=4,
        created_at=NOW,
        expires_at=NOW + timedelta(days=1),
    )
    return msgspec.structs.replace(job, **changes)


@dataclass
class World:
    job: CountJob
    states: FakeStates[CountJob]
    hooks: CountJobs = field(default_factory=CountJobs)
    announcer: FakeAnnouncer = field(default_factory=FakeAnnouncer)
    rates: RowRates = field(default_factory=RowRates)
    now: datetime = NOW

    def run(self, *, owner: str = OWNER) -> Outcome:
        runner = JobRunner(
            hooks=self.hooks,
            states=self.states,
            announcer=self.announcer,
            owner=lambda: owner,
            lease_seconds=LEASE_SECONDS,
            clock=lambda: self.now,
            monotonic=ten_seconds_per_reading(),
            rates=self.rates,
        )
        request = CountRequested(count_id=self.job.count_id)
        return runner.run(wrap(request, tenant_id="acme", correlation_id="corr-1"))

    @property
    def current(self) -> CountJob:
        job = self.states.get(self.job.count_id)
        assert job is not None
        return job

    def change(self, **changes: Any) -> None:
        self.states.put(msgspec.structs.replace(self.current, **changes))


@pytest.fixture
def world() -> World:
    job = a_job()
    return World(job=job, states=FakeStates(job, id_of=COUNT_JOBS.id_of))


def test_a_job_runs_with_progress_then_is_recorded_and_announced(world: World) -> None:
    # given the job's progress is watched at each unit
    seen: list[int] = []
    world.hooks.work = lambda unit: seen.append(world.current.progress_percentage)

    # when
    outcome = world.run()

    # then
    assert outcome is Outcome.COMPLETED
    assert seen == [0, 25, 50, 75]
    assert (world.current.status, world.current.counted) == (JobStatus.COMPLETED, 4)
    assert (world.current.progress_percentage, world.current.lease_owner) == (100, None)
    assert [job.status for job in world.hooks.recorded] == [
        JobStatus.PROCESSING,
        JobStatus.COMPLETED,
    ]
    [announced] = world.announcer.published
    assert announced.event_id == outcome_event_id(world.job.count_id, JobStatus.COMPLETED)
    assert (announced.correlation_id, announced.tenant_id) == ("corr-1", "acme")
    assert world.hooks.cleanups == 0


def test_a_running_job_counts_its_rows_per_second_under_its_kind_until_it_ends(
    world: World,
) -> None:
    # given the rates are read while the job works (the clock moves 10 s per reading)
    seen: list[dict[str, float]] = []
    world.hooks.work = lambda unit: seen.append(world.rates.by_kind())

    assert world.run() is Outcome.COMPLETED

    # then it counts from its start, at 0, then one row per 10 s reading
    assert seen == [{"count": 0.0}] + [{"count": 0.1}] * 3
    # and nothing once it has ended
    assert world.rates.by_kind() == {}


def test_a_job_that_fails_stops_counting_its_rate(world: World) -> None:
    def fail(unit: int) -> None:
        raise ValueError(unit)

    world.hooks.work = fail
    assert world.run() is Outcome.FAILED
    assert world.rates.by_kind() == {}


def test_the_work_logs_under_the_kinds_own_id(world: World) -> None:
    world.run()
    [context] = world.hooks.log_context
    assert context["count_id"] == str(world.job.count_id)
    assert context["correlation_id"] == "corr-1"


def test_another_event_is_refused(world: World) -> None:
    runner = JobRunner(
        hooks=world.hooks, states=world.states, announcer=world.announcer, lease_seconds=1
    )
    other = wrap(
        CountEnded(count_id=uuid.uuid4(), status=JobStatus.FAILED, error=None),
        tenant_id="acme",
        correlation_id="c",
    )
    with pytest.raises(TypeError):
        runner.run(other)


def test_an_unknown_job_is_dropped(world: World) -> None:
    world.states.jobs.clear()
    assert world.run() is Outcome.UNKNOWN_JOB
    assert world.hooks.recorded == []


def test_a_job_another_worker_holds_comes_back_once_its_lease_can_have_expired(
    world: World,
) -> None:
    world.change(status=JobStatus.PROCESSING, lease_owner="live", lease_expires_at=epoch(NOW) + 30)
    with pytest.raises(JobBusy) as busy:
        world.run()
    assert busy.value.delay_seconds == 31
    assert world.current.lease_owner == "live"
    assert world.hooks.recorded == []


def test_a_redelivery_after_the_outcome_records_again_and_announces_once(world: World) -> None:
    world.change(status=JobStatus.FAILED, error="gone")
    assert [world.run(), world.run()] == [Outcome.ALREADY_FINISHED] * 2
    assert [job.status for job in world.hooks.recorded] == [JobStatus.FAILED] * 2
    [announced] = world.announcer.published
    assert announced.event_id == outcome_event_id(world.job.count_id, JobStatus.FAILED)


def test_a_transient_failure_gives_the_job_back_without_spending_an_attempt(
    world: World,
) -> None:
    # given the database drops out midway
    def drop(unit: int) -> None:
        if unit == 2:
            raise psycopg.OperationalError("server closed the connection")

    world.hooks.work = drop

    # when / then: the delivery is retried, and the next claim may come at once
    with pytest.raises(psycopg.OperationalError):
        world.run()
    assert (world.current.status, world.current.attempts) == (JobStatus.PROCESSING, 0)
    assert (world.current.lease_expires_at or 0) < epoch(NOW)
    assert (world.current.retrying_since, world.current.last_error) == (
        NOW,
        "the database could not be reached: server closed the connection",
    )
    assert world.announcer.published == []

    # when the retry comes, then it first cleans up after the attempt it replaces
    world.hooks.work = lambda unit: None
    assert world.run(owner="worker-b/1") is Outcome.COMPLETED
    assert (world.current.attempts, world.hooks.cleanups) == (1, 1)


def test_dependencies_down_past_the_retry_window_fail_the_job(world: World) -> None:
    world.change(retrying_since=NOW - RETRY_WINDOW)
    world.hooks.cleanup_error = EndpointConnectionError(endpoint_url="http://s3")

    assert world.run() is Outcome.FAILED
    assert world.current.error == gave_up_reason(
        f"the count failed unexpectedly ({EndpointConnectionError.__name__})", RETRY_WINDOW
    )
    [announced] = world.announcer.published
    assert isinstance(announced.payload, CountEnded)
    assert announced.payload.error == world.current.error


def test_a_permanent_failure_fails_the_job_at_once(world: World) -> None:
    def break_down(unit: int) -> None:
        raise psycopg.errors.UndefinedTable('"counts" is gone')

    world.hooks.work = break_down
    assert world.run() is Outcome.FAILED
    assert world.current.error == 'the database refused the query: "counts" is gone'
    assert world.current.attempts == 1
    assert world.hooks.recorded[-1].status is JobStatus.FAILED
    assert len(world.announcer.published) == 1


def test_a_cancel_seen_at_a_report_stops_the_work_quietly(world: World) -> None:
    done: list[int] = []

    def count(unit: int) -> None:
        done.append(unit)
        if unit == 2:
            world.change(cancel_requested=True)

    world.hooks.work = count
    assert world.run() is Outcome.CANCELLED
    assert done == [1, 2]
    assert world.current.status is JobStatus.CANCELLED
    assert world.hooks.recorded[-1].status is JobStatus.CANCELLED
    assert world.announcer.published == []


def test_a_lost_lease_leaves_the_outcome_to_the_new_owner(world: World) -> None:
    world.hooks.work = lambda unit: world.change(lease_owner="worker-b/1") if unit == 2 else None
    assert world.run() is Outcome.LEASE_LOST
    assert (world.current.status, world.current.lease_owner) == (
        JobStatus.PROCESSING,
        "worker-b/1",
    )
    assert world.announcer.published == []


def a_dead_workers_job(world: World, **changes: Any) -> None:
    """The job as a worker that died mid-way left it: claimed, its lease run out."""
    left = {"attempts": 1, "lease_owner": "dead", "lease_expires_at": epoch(NOW) - 1}
    world.change(status=JobStatus.PROCESSING, **(left | changes))


def test_a_job_interrupted_too_often_fails_without_running(world: World) -> None:
    a_dead_workers_job(world, attempts=MAX_ATTEMPTS)
    world.hooks.work = lambda unit: pytest.fail("the work must not run")

    assert world.run() is Outcome.FAILED
    assert world.current.error == f"the count was interrupted {MAX_ATTEMPTS} times"
    assert world.hooks.cleanups == 1
    assert len(world.announcer.published) == 1


def test_a_cancel_is_recorded_even_when_leftovers_cannot_be_cleaned_up(world: World) -> None:
    a_dead_workers_job(world, cancel_requested=True)
    world.hooks.cleanup_error = EndpointConnectionError(endpoint_url="http://s3")
    assert world.run() is Outcome.CANCELLED
    assert world.current.status is JobStatus.CANCELLED
    assert world.hooks.cleanups == 1


def test_a_clean_up_that_cannot_reach_its_dependency_is_retried_before_the_work(
    world: World,
) -> None:
    a_dead_workers_job(world)
    world.hooks.cleanup_error = EndpointConnectionError(endpoint_url="http://s3")
    world.hooks.work = lambda unit: pytest.fail("the work must not run")

    with pytest.raises(EndpointConnectionError):
        world.run()
    assert (world.current.lease_expires_at or 0) < epoch(NOW)
    assert world.current.attempts == 1
