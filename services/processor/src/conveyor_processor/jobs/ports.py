"""What the job runner needs: the job store, the announcer, and the kind's own hooks.
Tests pass fakes of each."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Protocol, TypeVar

import msgspec

from conveyor_common.envelope import Envelope, Event
from conveyor_common.jobs import Job, JobStatus

J_co = TypeVar("J_co", bound=Job, covariant=True)
J_contra = TypeVar("J_contra", bound=Job, contravariant=True)
R_co = TypeVar("R_co", bound=msgspec.Struct, covariant=True)
R_contra = TypeVar("R_contra", bound=msgspec.Struct, contravariant=True)
Q = TypeVar("Q")

# Called by the work with the units (rows, say) done so far; raises to stop it.
Progress = Callable[[int], None]


class JobProgress(Protocol):
    """What a job's work reports to the runner: the units done so far and, when the
    units are not rows (an import counts bytes of its file), the rows done so far."""

    def __call__(self, done: int, /, *, rows: int | None = None) -> None: ...


class JobHistory(Protocol[J_contra]):
    """The kind's history table, which its owner lists (jobs.history.SqlJobHistory)."""

    def upsert(self, job: J_contra) -> None:
        """Record the job as it now is; a finished job is never moved back."""
        ...


class JobStates(Protocol[J_co, R_contra]):
    """The live state and lease (conveyor_aws.job_store.LeasedJobStore)."""

    def get(self, job_id: uuid.UUID) -> J_co | None: ...

    def claim(
        self, job_id: uuid.UUID, *, owner: str, lease_seconds: int, now: datetime
    ) -> J_co | None: ...

    def renew(
        self,
        job_id: uuid.UUID,
        *,
        owner: str,
        lease_seconds: int,
        now: datetime,
        progress_percentage: int | None = None,
    ) -> J_co | None: ...

    def release(
        self, job_id: uuid.UUID, *, owner: str, now: datetime, reason: str
    ) -> J_co | None: ...

    def finish(
        self,
        job_id: uuid.UUID,
        *,
        owner: str,
        status: JobStatus,
        now: datetime,
        progress_percentage: int | None = None,
        error: str | None = None,
        result: R_contra | None = None,
    ) -> J_co | None: ...


class Announcer(Protocol):
    """Publishes outcome events and remembers which ones went out."""

    def announced(self, job_id: uuid.UUID, event_id: uuid.UUID) -> bool: ...

    def announce(self, job_id: uuid.UUID, envelope: Envelope, *, expires_at: datetime) -> None:
        """Publish, then remember it; a crash in between republishes the same event id."""
        ...


class JobHooks(Protocol[J_contra, R_co, Q]):
    """What one kind of job adds to the common life: its request, its work, where its
    outcome is recorded and what it announces."""

    @property
    def noun(self) -> str:
        """The kind, as its reasons and log lines name it."""
        ...

    def request(self, envelope: Envelope) -> Q:
        """The request the envelope carries; TypeError for any other event."""
        ...

    def job_id(self, request: Q) -> uuid.UUID: ...

    def estimated_total(self, job: J_contra) -> int:
        """How many units the work expects to report, for its progress percentage."""
        ...

    def clean_up_earlier_attempts(self, job: J_contra) -> None:
        """Remove what attempts killed mid-way left behind; raises if it cannot."""
        ...

    def record(self, job: J_contra) -> None:
        """Keep the job as it now is wherever its owner reads it; repeated safely."""
        ...

    def run(self, job: J_contra, request: Q, *, progress: JobProgress) -> R_co:
        """Do the work; raises Cancelled or LeaseLost (from `progress`) to stop. Work that
        commits as it goes re-raises Cancelled with the result of what it committed."""
        ...

    def readable_reason(self, exc: BaseException) -> str:
        """Why the work failed, for the job's owner (see failures.readable_reason)."""
        ...

    def outcome_event(self, job: J_contra, *, now: datetime) -> Event | None:
        """The event that announces the finished job, or None when there is none."""
        ...
