"""The life of a job, whatever its kind: claim, run with progress, record and announce
the outcome.

Every step is safe to repeat. The job store's conditional claim decides which
delivery does the work; recording the job and announcing its outcome (with fixed
event ids) are repeated by a later delivery when a crash interrupted them.

A crash leaves nothing behind: a later attempt (a reclaim after a dead worker, or
a retry) first has the kind clean up what an earlier one left, whether it then
runs the job or only records it FAILED or CANCELLED.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Generic, TypeVar, cast

import msgspec

from conveyor_aws.failures import is_transient
from conveyor_common.clock import Clock, utc_now
from conveyor_common.envelope import Envelope, wrap
from conveyor_common.jobs import Job, JobStatus
from conveyor_common.log import correlation, get_logger
from conveyor_processor.jobs.announcer import outcome_event_id
from conveyor_processor.jobs.failures import Cancelled, FailedPartway, LeaseLost
from conveyor_processor.jobs.lease_keeper import LeaseKeeper
from conveyor_processor.jobs.owner import lease_owner
from conveyor_processor.jobs.policy import (
    RETRY_WINDOW,
    JobBusy,
    Unclaimed,
    busy_retry_after_seconds,
    gave_up_reason,
    has_earlier_attempts,
    interrupted_too_often,
    interruption_reason,
    retrying_too_long,
    why_unclaimed,
)
from conveyor_processor.jobs.ports import Announcer, JobHooks, JobStates
from conveyor_processor.jobs.progress import ProgressReporter, ProgressThrottle
from conveyor_processor.jobs.rates import ROW_RATES, RowRates

logger = get_logger(__name__)

COMPLETE_PERCENT = 100

J = TypeVar("J", bound=Job)
R = TypeVar("R", bound=msgspec.Struct)
Q = TypeVar("Q")


class Outcome(StrEnum):
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    # Nothing done by this delivery:
    ALREADY_FINISHED = "ALREADY_FINISHED"
    UNKNOWN_JOB = "UNKNOWN_JOB"
    LEASE_LOST = "LEASE_LOST"


@dataclass(frozen=True)
class JobRunner(Generic[J, R, Q]):
    """Runs the deliveries of one kind of job; made once, used by every worker thread."""

    hooks: JobHooks[J, R, Q]
    states: JobStates[J, R]
    announcer: Announcer
    lease_seconds: int
    # Who holds the lease: read on the thread that runs the delivery.
    owner: Callable[[], str] = lease_owner
    retry_window: timedelta = RETRY_WINDOW
    clock: Clock = field(default=utc_now)
    monotonic: Callable[[], float] = field(default=time.monotonic)
    # Where the running jobs' rows per second are kept for /metrics.
    rates: RowRates = field(default=ROW_RATES)

    def run(self, envelope: Envelope) -> Outcome:
        """Run one delivery of the job's request. Returns normally when the message may
        be acked; raises JobBusy to come back later, or a transient error to retry."""
        request = self.hooks.request(envelope)
        job_id = self.hooks.job_id(request)
        # Logged under the kind's own name for its ids, `{noun}_id`.
        ids = {"event_id": str(envelope.event_id), f"{self.hooks.noun}_id": str(job_id)}
        with correlation(envelope.correlation_id, **ids):
            delivery = _Delivery(
                self, request, job_id, owner=self.owner(), correlation_id=envelope.correlation_id
            )
            return delivery.run()


class _Delivery(Generic[J, R, Q]):
    """One delivery's attempt at the job, as one lease owner."""

    def __init__(
        self,
        runner: JobRunner[J, R, Q],
        request: Q,
        job_id: uuid.UUID,
        *,
        owner: str,
        correlation_id: str,
    ) -> None:
        self._runner = runner
        self._hooks = runner.hooks
        self._states = runner.states
        self._noun = runner.hooks.noun
        self._request = request
        self._job_id = job_id
        self._owner = owner
        self._correlation_id = correlation_id

    def run(self) -> Outcome:
        runner = self._runner
        job = self._states.claim(
            self._job_id, owner=self._owner, lease_seconds=runner.lease_seconds, now=runner.clock()
        )
        if job is None:
            return self._unclaimed()
        logger.info(f"{self._noun} claimed", attempt=job.attempts)
        try:
            return self._claimed(job)
        except Exception as exc:
            if not is_transient(exc):
                raise
            reason = self._hooks.readable_reason(exc)
            if retrying_too_long(job, now=runner.clock(), window=runner.retry_window):
                logger.error(f"{self._noun} failed: its dependencies stayed down", exc_info=True)
                return self._fail(gave_up_reason(reason, runner.retry_window))
            logger.warning(
                f"{self._noun} interrupted by a transient failure; retrying", exc_info=True
            )
            self._release(reason)
            raise

    def _claimed(self, job: J) -> Outcome:
        if interrupted_too_often(job):
            self._clean_up_quietly(job)
            return self._fail(interruption_reason(job, noun=self._noun))
        self._hooks.record(job)
        if job.cancel_requested:
            self._clean_up_quietly(job)
            return self._cancel()
        return self._run(job)

    def _clean_up(self, job: J) -> None:
        if has_earlier_attempts(job):
            self._hooks.clean_up_earlier_attempts(job)

    def _clean_up_quietly(self, job: J) -> None:
        # Before a FAILED or CANCELLED outcome that does no work: recording the outcome
        # matters more, and the kind's own backstop removes what is left.
        try:
            self._clean_up(job)
        except Exception:
            logger.warning("could not clean up after earlier attempts", exc_info=True)

    def _run(self, job: J) -> Outcome:
        keeper = LeaseKeeper(renew=self._renew, lease_seconds=self._runner.lease_seconds)
        try:
            # Inside the try: a dependency unreachable here is a transient failure too.
            self._clean_up(job)
            with keeper:
                result = self._work(job, keeper)
        except Cancelled as cancelled:
            # The kind's result type (jobs.ports.JobHooks.run's), for what was committed.
            return self._cancel(cast("R | None", cancelled.partial_result))
        except LeaseLost:
            logger.warning(f"{self._noun} lease lost; its new owner finishes it")
            return Outcome.LEASE_LOST
        except Exception as exc:
            if is_transient(exc):
                raise  # the caller gives the job back for a retry
            logger.error(f"{self._noun} failed", attempt=job.attempts, exc_info=True)
            partial = exc.partial_result if isinstance(exc, FailedPartway) else None
            # The kind's result type, for what was committed before the failure.
            return self._fail(self._hooks.readable_reason(exc), cast("R | None", partial))
        return self._complete(result)

    def _work(self, job: J, keeper: LeaseKeeper) -> R:
        """The kind's work, reporting progress; its rows per second count while it runs."""
        started_at_seconds = self._runner.monotonic()
        with self._runner.rates.running(self._noun, started_at_seconds=started_at_seconds) as meter:
            progress = ProgressReporter(
                throttle=ProgressThrottle(
                    estimated_total=self._hooks.estimated_total(job),
                    started_at_seconds=started_at_seconds,
                ),
                keeper=keeper,
                renew=self._renew,
                monotonic=self._runner.monotonic,
                meter=meter,
            )
            return self._hooks.run(job, self._request, progress=progress)

    def _renew(self, progress_percentage: int | None = None) -> J | None:
        return self._states.renew(
            self._job_id,
            owner=self._owner,
            lease_seconds=self._runner.lease_seconds,
            now=self._runner.clock(),
            progress_percentage=progress_percentage,
        )

    def _release(self, reason: str) -> None:
        try:
            self._states.release(
                self._job_id, owner=self._owner, now=self._runner.clock(), reason=reason
            )
        except Exception:
            # The lease then runs out by itself and the retry reclaims after it, as after a
            # dead worker (so this one claim does count as an attempt).
            logger.warning(f"could not release the {self._noun} lease", exc_info=True)

    def _complete(self, result: R) -> Outcome:
        finished = self._finish(
            JobStatus.COMPLETED, progress_percentage=COMPLETE_PERCENT, result=result
        )
        if finished is None:
            return Outcome.LEASE_LOST
        self._hooks.record(finished)
        self._announce(finished)
        logger.info(f"{self._noun} completed", **msgspec.structs.asdict(result))
        return Outcome.COMPLETED

    def _fail(self, reason: str, result: R | None = None) -> Outcome:
        finished = self._finish(JobStatus.FAILED, error=reason, result=result)
        if finished is None:
            return Outcome.LEASE_LOST
        self._hooks.record(finished)
        self._announce(finished)
        logger.info(f"{self._noun} failed for good", reason=reason)
        return Outcome.FAILED

    def _cancel(self, result: R | None = None) -> Outcome:
        finished = self._finish(JobStatus.CANCELLED, result=result)
        if finished is None:
            return Outcome.LEASE_LOST
        self._hooks.record(finished)
        logger.info(f"{self._noun} cancelled")
        return Outcome.CANCELLED

    def _finish(
        self,
        status: JobStatus,
        *,
        progress_percentage: int | None = None,
        error: str | None = None,
        result: R | None = None,
    ) -> J | None:
        return self._states.finish(
            self._job_id,
            owner=self._owner,
            status=status,
            now=self._runner.clock(),
            progress_percentage=progress_percentage,
            error=error,
            result=result,
        )

    def _unclaimed(self) -> Outcome:
        job = self._states.get(self._job_id)
        reason = why_unclaimed(job)
        if reason is Unclaimed.MISSING or job is None:
            logger.error(f"{self._noun} requested for an unknown {self._noun}; dropped")
            return Outcome.UNKNOWN_JOB
        if reason is Unclaimed.BUSY:
            retry_after = busy_retry_after_seconds(job, now=self._runner.clock())
            logger.info(
                f"{self._noun} held by another worker; delivery postponed", seconds=retry_after
            )
            raise JobBusy(retry_after)
        # A redelivery after the outcome: finish what a crash may have left undone.
        self._hooks.record(job)
        self._announce(job)
        logger.info(f"{self._noun} already finished", status=job.status.value)
        return Outcome.ALREADY_FINISHED

    def _announce(self, job: J) -> None:
        announcer = self._runner.announcer
        event_id = outcome_event_id(self._job_id, job.status)
        # Checked before the event is built: building one may store a link record
        # (an e-mail's lasting link), which a redelivery must not add again.
        if announcer.announced(self._job_id, event_id):
            return
        now = self._runner.clock()
        payload = self._hooks.outcome_event(job, now=now)
        if payload is None:
            return
        envelope = wrap(
            payload,
            tenant_id=job.tenant_id,
            correlation_id=self._correlation_id,
            event_id=event_id,
            occurred_at=now,
        )
        announcer.announce(self._job_id, envelope, expires_at=job.expires_at)
