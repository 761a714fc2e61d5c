"""What imports need from the outside world, besides any job's (jobs.ports); tests pass fakes."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from conveyor_common.imports.job import ImportJob
from conveyor_common.orders import Order
from conveyor_processor.imports.source import Readable
from conveyor_processor.jobs.ports import JobHistory

ImportHistory = JobHistory[ImportJob]


class Sink(Protocol):
    def write(self, data: bytes | bytearray | memoryview) -> int: ...


class ImportFiles(Protocol):
    """The uploads and, beside each, its error report (in the upload's bucket)."""

    def open_upload(self, bucket: str, key: str) -> Readable:
        """The uploaded file, streamed (never read whole)."""
        ...

    def open_report(self, bucket: str, key: str) -> AbstractContextManager[Sink]:
        """A sink that stores the error report on a clean exit and leaves nothing otherwise."""
        ...

    def abort_uploads(self, bucket: str, prefix: str) -> int:
        """Abort the multipart uploads still open under `prefix`; how many there were."""
        ...

    def link(self, bucket: str, key: str, *, expires_at: datetime) -> str:
        """A link to the file for an e-mail, working until `expires_at`."""
        ...


@dataclass(frozen=True)
class BatchOutcome:
    """What a batch did, by the orders' positions in it: those the file had already given
    (rejected) and those it wrote (new, changed, or written by an earlier attempt of the
    same import); the others were unchanged."""

    duplicates: frozenset[int]
    written: frozenset[int]


class ImportSession(Protocol):
    def apply(self, orders: Sequence[Order], *, write: bool) -> BatchOutcome:
        """Check a batch for orders repeated in the file, find which of the others are new
        or changed and, when `write`, upsert those in PostgreSQL in one transaction; their
        read-model items are put after the commit, and the session ends only once every
        put succeeded. An order stored as it is by this session's `source` counts as
        written (a killed attempt of the same import committed it) and is put again."""
        ...


class OrderUpserts(Protocol):
    def session(self, *, source: str) -> AbstractContextManager[ImportSession]:
        """One file's import: remembers which orders the file gave so far; `source`
        names the file in the orders it writes."""
        ...
