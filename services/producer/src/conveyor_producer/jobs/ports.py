"""What a job feature needs of the job stores, as protocols the fakes also satisfy."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Generic, Protocol, TypeVar

import msgspec

from conveyor_common.jobs import Job, JobStatus
from conveyor_producer.jobs.rules import DEFAULT_PAGE_SIZE

J = TypeVar("J", bound=Job)


class OwnedJob(Protocol):
    """What the owner check and cancelling read of a job: every kind's record has it."""

    @property
    def tenant_id(self) -> str: ...

    @property
    def requested_by(self) -> str: ...

    @property
    def status(self) -> JobStatus: ...


OwnedT = TypeVar("OwnedT", bound=OwnedJob)


class JobStates(Protocol[OwnedT]):
    """Jobs' live state (conveyor_aws.job_store.LeasedJobStore of the feature's kind)."""

    def create(self, job: OwnedT) -> bool: ...

    def get(self, job_id: uuid.UUID) -> OwnedT | None: ...

    def request_cancel(self, job_id: uuid.UUID, *, now: datetime) -> OwnedT | None: ...


class JobListing(msgspec.Struct, frozen=True, kw_only=True):
    """Which jobs a listing asks for: one tenant's, newest first, one page."""

    tenant_id: str
    # None lists every requester's jobs (admins); otherwise only this one's.
    requested_by: str | None
    status: JobStatus | None = None
    page: int = 1
    limit: int = DEFAULT_PAGE_SIZE

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


class ListedJobs(msgspec.Struct, Generic[J], frozen=True, kw_only=True):
    # Each as the processor's history table keeps it (see jobs.listing).
    jobs: list[J]
    total: int


class JobHistory(Protocol[J]):
    """The processor's history table of the kind, which listings read; it may lag the
    live state."""

    def list_jobs(self, listing: JobListing) -> ListedJobs[J]: ...
