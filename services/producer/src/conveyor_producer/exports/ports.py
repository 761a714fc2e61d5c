"""What the exports feature needs from the outside world, as protocols the fakes also satisfy."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol

import msgspec

from conveyor_aws.state_store import ItemStore
from conveyor_common.clock import Clock
from conveyor_common.exports.job import ExportJob
from conveyor_common.exports.query import Query
from conveyor_common.jobs import JobStatus
from conveyor_producer.acceptance.ports import Publisher
from conveyor_producer.exports.rules import DEFAULT_PAGE_SIZE


class ExportListing(msgspec.Struct, frozen=True, kw_only=True):
    """Which exports a listing asks for: one tenant's, newest first, one page."""

    tenant_id: str
    # None lists every requester's exports (admins); otherwise only this one's.
    requested_by: str | None
    status: JobStatus | None = None
    page: int = 1
    limit: int = DEFAULT_PAGE_SIZE

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


class ListedPage(msgspec.Struct, frozen=True, kw_only=True):
    # Each as the processor's export_jobs table keeps it (see exports.listing).
    jobs: list[ExportJob]
    total: int


class ExportStates(Protocol):
    """Export jobs' live state (conveyor_aws.job_store.LeasedJobStore of EXPORT_JOBS)."""

    def create(self, job: ExportJob) -> bool: ...

    def get(self, export_id: uuid.UUID) -> ExportJob | None: ...

    def request_cancel(self, export_id: uuid.UUID, *, now: datetime) -> ExportJob | None: ...


class RowCounter(Protocol):
    """PostgreSQL, read only: how many rows a new export would hold."""

    def count_rows(self, query: Query) -> int: ...


class ExportHistory(Protocol):
    """The processor's export_jobs table, which listings read; it may lag the live state."""

    def list_exports(self, listing: ExportListing) -> ListedPage: ...


class LinkSigner(Protocol):
    def download_url(self, object_key: str, *, expires_in_seconds: int) -> str:
        """A presigned GET URL of an export file."""
        ...


class ExportAdapters(Protocol):
    """The adapters the exports feature is built from."""

    @property
    def publisher(self) -> Publisher: ...

    @property
    def state_table(self) -> ItemStore:
        """Where the Idempotency-Key records are kept."""
        ...

    @property
    def export_states(self) -> ExportStates: ...

    @property
    def row_counter(self) -> RowCounter: ...

    @property
    def export_history(self) -> ExportHistory: ...

    @property
    def signer(self) -> LinkSigner: ...

    @property
    def clock(self) -> Clock: ...
