"""What the producer needs from the outside world, as protocols the fakes also satisfy."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol

from conveyor_common.envelope import Envelope
from conveyor_common.exports.job import ExportJob
from conveyor_common.exports.query import Query
from conveyor_producer.export_listing import CataloguePage, ExportListing


class Publisher(Protocol):
    def publish(self, envelope: Envelope) -> str:
        """Publish once; raises on any failure."""
        ...


class ExportStates(Protocol):
    """Export jobs' live state (conveyor_aws.export_state.ExportStateStore)."""

    def create(self, job: ExportJob) -> bool: ...

    def get(self, export_id: uuid.UUID) -> ExportJob | None: ...

    def request_cancel(self, export_id: uuid.UUID, *, now: datetime) -> ExportJob | None: ...


class ExportDatabase(Protocol):
    """PostgreSQL, read only: row counts for new exports and the processor's catalogue."""

    def count_rows(self, query: Query) -> int: ...

    def list_exports(self, listing: ExportListing) -> CataloguePage: ...


class LinkSigner(Protocol):
    def download_url(self, object_key: str, *, expires_in_seconds: int) -> str:
        """A presigned GET URL of an export file."""
        ...
