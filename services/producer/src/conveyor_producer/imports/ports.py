"""What the files feature needs from the outside world, as protocols the fakes also satisfy."""

from __future__ import annotations

import uuid
from datetime import datetime
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
from conveyor_common.jobs import JobStatus
from conveyor_producer.acceptance.ports import Publisher
from conveyor_producer.imports.rules import DEFAULT_PAGE_SIZE


class UploadLimits(msgspec.Struct, frozen=True, kw_only=True):
    """How large a file each path takes, and how long a presigned upload may take
    (ProducerSettings)."""

    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    max_presigned_bytes: int = DEFAULT_MAX_PRESIGNED_BYTES
    presigned_post_seconds: int = DEFAULT_PRESIGNED_POST_SECONDS
    presigned_grace_seconds: int = DEFAULT_PRESIGNED_GRACE_SECONDS


class FileListing(msgspec.Struct, frozen=True, kw_only=True):
    """Which uploads a listing asks for: one tenant's, newest first, one page."""

    tenant_id: str
    # None lists every uploader's files (admins); otherwise only this one's.
    requested_by: str | None
    status: JobStatus | None = None
    page: int = 1
    limit: int = DEFAULT_PAGE_SIZE

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


class ListedFiles(msgspec.Struct, frozen=True, kw_only=True):
    # Each as the processor's import_jobs table keeps it (see imports.listing).
    jobs: list[ImportJob]
    total: int


class PresignedPost(msgspec.Struct, frozen=True, kw_only=True):
    url: str
    fields: dict[str, str]


class StoredObject(msgspec.Struct, frozen=True, kw_only=True):
    size_bytes: int
    content_type: str | None


class ImportStates(Protocol):
    """Import jobs' live state (conveyor_aws.job_store.LeasedJobStore of IMPORT_JOBS)."""

    def create(self, job: ImportJob) -> bool: ...

    def get(self, file_id: uuid.UUID) -> ImportJob | None: ...

    def request_cancel(self, file_id: uuid.UUID, *, now: datetime) -> ImportJob | None: ...


class ImportHistory(Protocol):
    """The processor's import_jobs table, which listings read; it may lag the live state."""

    def list_imports(self, listing: FileListing) -> ListedFiles: ...


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
