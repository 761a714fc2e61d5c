"""How many times an export is tried, and what a refused claim means."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from enum import StrEnum

from conveyor_aws.delivery import DEFAULT_POLICY, Postpone
from conveyor_common.exports.job import ExportJob

# Claims of one export, counting reclaims after a dead worker. A transient failure
# (a dependency down) gives the job back without spending an attempt.
MAX_ATTEMPTS = 3
# How long an export keeps waiting for its dependencies: as long as any message does.
RETRY_WINDOW = timedelta(milliseconds=DEFAULT_POLICY.transient_window_ms)


def interrupted_too_often(job: ExportJob) -> bool:
    """A fresh claim beyond the limit: earlier attempts all died or failed transiently."""
    return job.attempts > MAX_ATTEMPTS


def interruption_reason(job: ExportJob) -> str:
    return f"the export was interrupted {job.attempts - 1} times"


def retrying_too_long(job: ExportJob, *, now: datetime, window: timedelta) -> bool:
    """Dependencies have failed this job for longer than an ordinary outage lasts."""
    return job.retrying_since is not None and now - job.retrying_since >= window


def gave_up_reason(reason: str, window: timedelta) -> str:
    return f"{reason} (still failing after {window.total_seconds() / 3600:g} h of retries)"


# Never poll a busy job more often than this.
MIN_BUSY_RETRY_SECONDS = 1


class ExportBusy(Postpone):
    """Another worker holds the job's lease. The delivery must come back once the lease
    could have expired: if that worker died, this delivery is the only one left."""

    def __init__(self, retry_after_seconds: int) -> None:
        self.retry_after_seconds = retry_after_seconds
        super().__init__("export busy", delay_seconds=retry_after_seconds)


def busy_retry_after_seconds(job: ExportJob, *, now: datetime) -> int:
    """Seconds until the holder's lease runs out (and a reclaim can succeed)."""
    remaining = (job.lease_expires_at or 0) - int(now.timestamp())
    return max(MIN_BUSY_RETRY_SECONDS, remaining + 1)


class Unclaimed(StrEnum):
    MISSING = "missing"  # no record: the request was never accepted
    FINISHED = "finished"  # a duplicate delivery after the outcome
    BUSY = "busy"  # another worker holds the lease


def why_unclaimed(job: ExportJob | None) -> Unclaimed:
    if job is None:
        return Unclaimed.MISSING
    return Unclaimed.FINISHED if job.status.is_terminal else Unclaimed.BUSY


def outcome_event_id(export_id: uuid.UUID, outcome: str) -> uuid.UUID:
    """The same id for every publication of an outcome, so the notifier sends it once."""
    return uuid.uuid5(export_id, outcome)
