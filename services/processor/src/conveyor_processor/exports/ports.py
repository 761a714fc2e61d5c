"""What exports need from the outside world, besides any job's (jobs.ports); tests pass fakes."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol

from conveyor_common.exports.job import ExportJob
from conveyor_common.exports.registry import ResolvedExport
from conveyor_processor.jobs.ports import JobHistory, Progress

ExportHistory = JobHistory[ExportJob]


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

    def link(self, key: str, *, expires_at: datetime) -> str:
        """A link to the file for an e-mail, working until `expires_at`."""
        ...


class Renderer(Protocol):
    def __call__(
        self, job: ExportJob, export: ResolvedExport, *, sink: Sink, progress: Progress
    ) -> int:
        """Write the export's file into the sink; returns the number of data rows."""
        ...
