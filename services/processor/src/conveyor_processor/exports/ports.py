"""What the export use case needs from the outside world, so tests can pass fakes."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from conveyor_common.envelope import Envelope
from conveyor_common.exports.job import ExportJob
from conveyor_common.exports.registry import ResolvedExport
from conveyor_common.jobs import JobStatus

# Called by writers with the rows written so far; raises to stop the export.
Progress = Callable[[int], None]


class ExportStates(Protocol):
    """The live state and lease in DynamoDB (conveyor_aws.export_state.ExportStateStore)."""

    def get(self, export_id: uuid.UUID) -> ExportJob | None: ...

    def claim(
        self, export_id: uuid.UUID, *, owner: str, lease_seconds: int, now: datetime
    ) -> ExportJob | None: ...

    def heartbeat(
        self,
        export_id: uuid.UUID,
        *,
        owner: str,
        lease_seconds: int,
        now: datetime,
        progress: Mapping[str, Any] | None = None,
    ) -> ExportJob | None: ...

    def release(
        self, export_id: uuid.UUID, *, owner: str, now: datetime, reason: str
    ) -> ExportJob | None: ...

    def finish(
        self,
        export_id: uuid.UUID,
        *,
        owner: str,
        status: JobStatus,
        now: datetime,
        fields: Mapping[str, Any] | None = None,
    ) -> ExportJob | None: ...


class ExportCatalogue(Protocol):
    def upsert(self, job: ExportJob) -> None:
        """Record the job as it now is; a finished job is never moved back."""
        ...


class Sink(Protocol):
    def write(self, data: bytes | bytearray | memoryview) -> int: ...

    def tell(self) -> int: ...


class ExportFiles(Protocol):
    def open(self, key: str, *, content_type: str, file_name: str) -> AbstractContextManager[Sink]:
        """A sink that stores the object on a clean exit and leaves nothing otherwise."""
        ...

    def abort_uploads(self, prefix: str) -> int:
        """Abort every multipart upload still open under `prefix` (left by an attempt
        that was killed before it could abort its own); returns how many there were."""
        ...

    def presign(self, key: str, *, ttl_seconds: int) -> str: ...


class Renderer(Protocol):
    def __call__(
        self, job: ExportJob, export: ResolvedExport, *, sink: Sink, progress: Progress
    ) -> int:
        """Write the export's file into the sink; returns the number of data rows."""
        ...


class Announcer(Protocol):
    """Publishes outcome events and remembers which ones went out."""

    def announced(self, export_id: uuid.UUID, event_id: uuid.UUID) -> bool: ...

    def announce(self, export_id: uuid.UUID, envelope: Envelope, *, expires_at: datetime) -> None:
        """Publish, then remember it; a crash in between republishes the same event id."""
        ...
