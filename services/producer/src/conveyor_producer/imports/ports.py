"""What the files feature needs from the outside world, as protocols the fakes also satisfy."""

from __future__ import annotations

from typing import IO, Protocol

import msgspec

from conveyor_aws.state_store import ItemStore
from conveyor_common.clock import Clock
from conveyor_common.imports.job import ImportJob
from conveyor_common.imports.model import (
    DEFAULT_MAX_PRESIGNED_BYTES,
    DEFAULT_MAX_UPLOAD_BYTES,
    DEFAULT_PRESIGNED_GRACE_SECONDS,
    DEFAULT_PRESIGNED_POST_SECONDS,
)
from conveyor_producer.acceptance.ports import Publisher
from conveyor_producer.jobs.ports import JobHistory, JobStates


class UploadLimits(msgspec.Struct, frozen=True, kw_only=True):
    """How large a file each path takes, and how long a presigned upload may take
    (ProducerSettings)."""

    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    max_presigned_bytes: int = DEFAULT_MAX_PRESIGNED_BYTES
    presigned_post_seconds: int = DEFAULT_PRESIGNED_POST_SECONDS
    presigned_grace_seconds: int = DEFAULT_PRESIGNED_GRACE_SECONDS


class PresignedPost(msgspec.Struct, frozen=True, kw_only=True):
    url: str
    fields: dict[str, str]


class StoredObject(msgspec.Struct, frozen=True, kw_only=True):
    size_bytes: int
    content_type: str | None


# Import jobs' live state: conveyor_aws.job_store.LeasedJobStore of IMPORT_JOBS.
ImportStates = JobStates[ImportJob]
# The processor's import_jobs table, which listings read; it may lag the live state.
ImportHistory = JobHistory[ImportJob]


class UploadStorage(Protocol):
    """The private uploads bucket."""

    @property
    def bucket(self) -> str: ...

    def store(self, source: IO[bytes], *, key: str, content_type: str) -> int:
        """Stream `source` into the object, never whole in memory; returns its size."""
        ...

    def presigned_post(
        self, key: str, *, content_type: str, max_size_bytes: int, expires_in_seconds: int
    ) -> PresignedPost: ...

    def stat(self, key: str) -> StoredObject | None:
        """The stored object's size and type, or None when there is none."""
        ...

    def download_url(self, key: str, *, expires_in_seconds: int) -> str: ...


class FileAdapters(Protocol):
    """The adapters the files feature is built from."""

    @property
    def publisher(self) -> Publisher: ...

    @property
    def state_table(self) -> ItemStore:
        """Where the Idempotency-Key records are kept."""
        ...

    @property
    def import_states(self) -> ImportStates: ...

    @property
    def import_history(self) -> ImportHistory: ...

    @property
    def uploads(self) -> UploadStorage: ...

    @property
    def upload_limits(self) -> UploadLimits: ...

    @property
    def clock(self) -> Clock: ...
