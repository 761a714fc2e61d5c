"""How many times a job is tried, how long it waits for its dependencies, and what a
refused claim means."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from conveyor_aws.delivery import DEFAULT_POLICY, Postpone
from conveyor_common.jobs import Job

# Claims of one job, counting reclaims after a dead worker. A transient failure
# (a dependency down) gives the job back without spending an attempt.
MAX_ATTEMPTS = 3
# How long a job keeps waiting for its dependencies: as long as any message does.
RETRY_WINDOW = timedelta(milliseconds=DEFAULT_POLICY.transient_window_ms)


def interrupted_too_often(job: Job) -> bool:
    """A fresh claim beyond the limit: earlier attempts all died or failed transiently."""
    return job.attempts > MAX_ATTEMPTS


def interruption_reason(job: Job, *, noun: str) -> str:
    return f"the {noun} was interrupted {job.attempts - 1} times"


def has_earlier_attempts(job: Job) -> bool:
    """A reclaim after a dead worker, or a retry after a transient failure: either may
    have left half-done work behind. A first attempt has none."""
    return job.attempts > 1 or job.retrying_since is not None


def retrying_too_long(job: Job, *, now: datetime, window: timedelta) -> bool:
    """Dependencies have failed this job for longer than an ordinary outage lasts."""
    return job.retrying_since is not None and now - job.retrying_since >= window


def gave_up_reason(reason: str, window: timedelta) -> str:
    return f"{reason} (still failing after {window.total_seconds() / 3600:g} h of retries)"


# Never poll a busy job more often than this.
MIN_BUSY_RETRY_SECONDS = 1


class JobBusy(Postpone):
    """Another worker holds the job's lease. The delivery must come back once the lease
    could have expired: if that worker died, this delivery is the only one left."""

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__("job busy", delay_seconds=retry_after_seconds)


def busy_retry_after_seconds(job: Job, *, now: datetime) -> int:
    """Seconds until the holder's lease runs out (and a reclaim can succeed)."""
    remaining = (job.lease_expires_at or 0) - int(now.timestamp())
    return max(MIN_BUSY_RETRY_SECONDS, remaining + 1)


class Unclaimed(StrEnum):
    MISSING = "missing"  # no record: the request was never accepted
    FINISHED = "finished"  # a duplicate delivery after the outcome
    BUSY = "busy"  # another worker holds the lease


def why_unclaimed(job: Job | None) -> Unclaimed:
    if job is None:
        return Unclaimed.MISSING
    return Unclaimed.FINISHED if job.status.is_terminal else Unclaimed.BUSY
