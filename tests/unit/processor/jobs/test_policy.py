"""Pure job rules: attempts, the retry window, and what a refused claim means."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conveyor_aws.delivery import Postpone
from conveyor_common.jobs import Job, JobStatus
from conveyor_processor.jobs.policy import (
    MAX_ATTEMPTS,
    JobBusy,
    Unclaimed,
    busy_retry_after_seconds,
    has_earlier_attempts,
    interrupted_too_often,
    interruption_reason,
    retrying_too_long,
    why_unclaimed,
)

NOW = datetime(2026, 6, 1, 12, 30, 5, tzinfo=UTC)


def a_job(
    *,
    attempts: int = 1,
    status: JobStatus = JobStatus.PROCESSING,
    lease_expires_at: int | None = None,
    retrying_since: datetime | None = None,
) -> Job:
    return Job(
        tenant_id="acme",
        status=status,
        created_at=NOW,
        expires_at=NOW + timedelta(days=30),
        attempts=attempts,
        lease_expires_at=lease_expires_at,
        retrying_since=retrying_since,
    )


def test_attempts_policy() -> None:
    assert not interrupted_too_often(a_job(attempts=MAX_ATTEMPTS))
    job = a_job(attempts=MAX_ATTEMPTS + 1)
    assert interrupted_too_often(job)
    assert interruption_reason(job, noun="export") == (
        f"the export was interrupted {MAX_ATTEMPTS} times"
    )


def test_only_a_reclaim_or_a_retry_has_earlier_attempts_to_clean_up_after() -> None:
    assert not has_earlier_attempts(a_job(attempts=1))
    assert has_earlier_attempts(a_job(attempts=2))
    assert has_earlier_attempts(a_job(attempts=1, retrying_since=NOW))


def test_a_job_retries_transient_failures_for_the_window_only() -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    window = timedelta(hours=6)
    assert not retrying_too_long(a_job(), now=now, window=window)
    assert not retrying_too_long(
        a_job(retrying_since=now - window + timedelta(seconds=1)), now=now, window=window
    )
    assert retrying_too_long(a_job(retrying_since=now - window), now=now, window=window)


def test_why_a_claim_was_refused() -> None:
    assert why_unclaimed(None) is Unclaimed.MISSING
    assert why_unclaimed(a_job(status=JobStatus.CANCELLED)) is Unclaimed.FINISHED
    assert why_unclaimed(a_job(status=JobStatus.PROCESSING)) is Unclaimed.BUSY


def test_a_busy_job_is_retried_once_its_lease_can_have_expired() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    epoch = int(now.timestamp())
    assert busy_retry_after_seconds(a_job(lease_expires_at=epoch + 30), now=now) == 31
    assert busy_retry_after_seconds(a_job(lease_expires_at=epoch - 5), now=now) == 1
    assert busy_retry_after_seconds(a_job(lease_expires_at=None), now=now) == 1


def test_a_busy_job_postpones_its_delivery() -> None:
    busy = JobBusy(31)
    assert isinstance(busy, Postpone)
    assert busy.delay_seconds == 31
