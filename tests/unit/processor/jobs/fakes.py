"""In-memory fakes of what the job runner needs, for any kind of job."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

import msgspec

from conveyor_common.envelope import Envelope
from conveyor_common.jobs import Job, JobStatus

J = TypeVar("J", bound=Job)


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


class FakeStates(Generic[J]):
    """LeasedJobStore's conditions, in memory."""

    def __init__(self, job: J | None, *, id_of: Callable[[J], uuid.UUID]) -> None:
        self.id_of = id_of
        self.jobs: dict[uuid.UUID, J] = {id_of(job): job} if job else {}

    def get(self, job_id: uuid.UUID) -> J | None:
        return self.jobs.get(job_id)

    def claim(
        self, job_id: uuid.UUID, *, owner: str, lease_seconds: int, now: datetime
    ) -> J | None:
        job = self.jobs.get(job_id)
        if job is None:
            return None
        queued = job.status is JobStatus.QUEUED and not job.cancel_requested
        expired = job.status is JobStatus.PROCESSING and (job.lease_expires_at or 0) < epoch(now)
        if not (queued or expired):
            return None
        return self._set(
            job,
            status=JobStatus.PROCESSING,
            lease_owner=owner,
            lease_expires_at=epoch(now) + lease_seconds,
            attempts=job.attempts + 1,
            started_at=job.started_at or now,
        )

    def renew(
        self,
        job_id: uuid.UUID,
        *,
        owner: str,
        lease_seconds: int,
        now: datetime,
        progress_percentage: int | None = None,
    ) -> J | None:
        job = self._owned(job_id, owner)
        if job is None:
            return None
        progress = (
            {} if progress_percentage is None else {"progress_percentage": progress_percentage}
        )
        return self._set(job, lease_expires_at=epoch(now) + lease_seconds, **progress)

    def release(self, job_id: uuid.UUID, *, owner: str, now: datetime, reason: str) -> J | None:
        job = self._owned(job_id, owner)
        if job is None:
            return None
        return self._set(
            job,
            lease_expires_at=epoch(now) - 1,
            attempts=job.attempts - 1,
            retrying_since=job.retrying_since or now,
            last_error=reason,
        )

    def finish(
        self,
        job_id: uuid.UUID,
        *,
        owner: str,
        status: JobStatus,
        now: datetime,
        progress_percentage: int | None = None,
        error: str | None = None,
        result: msgspec.Struct | None = None,
    ) -> J | None:
        job = self._owned(job_id, owner)
        if job is None:
            return None
        changes = {"progress_percentage": progress_percentage, "error": error}
        if result is not None:
            changes |= msgspec.structs.asdict(result)
        return self._set(
            job,
            status=status,
            completed_at=now,
            lease_owner=None,
            lease_expires_at=None,
            **{name: value for name, value in changes.items() if value is not None},
        )

    def put(self, job: J) -> None:
        self.jobs[self.id_of(job)] = job

    def _owned(self, job_id: uuid.UUID, owner: str) -> J | None:
        job = self.jobs.get(job_id)
        owned = job and job.status is JobStatus.PROCESSING and job.lease_owner == owner
        return job if owned else None

    def _set(self, job: J, **changes: Any) -> J:
        updated = msgspec.structs.replace(job, **changes)
        self.put(updated)
        return updated


@dataclass
class FakeAnnouncer:
    published: list[Envelope] = field(default_factory=list)

    def announced(self, job_id: uuid.UUID, event_id: uuid.UUID) -> bool:
        return any(envelope.event_id == event_id for envelope in self.published)

    def announce(self, job_id: uuid.UUID, envelope: Envelope, *, expires_at: datetime) -> None:
        self.published.append(envelope)


def ten_seconds_per_reading() -> Callable[[], float]:
    """A monotonic clock that jumps ten seconds per reading: every progress offer renews."""
    seconds = iter(range(0, 10**6, 10))
    return lambda: float(next(seconds))
