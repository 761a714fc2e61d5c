"""What the exports feature needs from the outside world, as protocols the fakes also satisfy."""

from __future__ import annotations

from typing import Protocol

from conveyor_aws.state_store import ItemStore
from conveyor_common.clock import Clock
from conveyor_common.exports.job import ExportJob
from conveyor_common.exports.query import Query
from conveyor_producer.acceptance.ports import Publisher
from conveyor_producer.jobs.ports import JobHistory, JobStates

# Export jobs' live state: conveyor_aws.job_store.LeasedJobStore of EXPORT_JOBS.
ExportStates = JobStates[ExportJob]
# The processor's export_jobs table, which listings read; it may lag the live state.
ExportHistory = JobHistory[ExportJob]


class RowCounter(Protocol):
    """PostgreSQL, read only: how many rows a new export would hold."""

    def count_rows(self, query: Query) -> int: ...


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
