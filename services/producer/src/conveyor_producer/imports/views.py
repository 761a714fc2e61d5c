"""What callers see of an uploaded file: seed 001's file record, the import's counts,
and links to itself and its cancel action.

The view is made from conveyor_common.imports.job.ImportJob, whether read from the
live state or listed from import_jobs: each of its fields is shown as it is, shown
reworked, or hidden on purpose (the lists below; a test keeps them complete, so a
new ImportJob field needs a decision here).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import msgspec

from conveyor_common.imports.job import ImportJob
from conveyor_common.imports.model import FileType, ImportMode
from conveyor_common.jobs import JobStatus
from conveyor_producer.http.paths import API_PREFIX
from conveyor_producer.records import copied_fields

FILES_PATH = "/files"


class FileStatus(StrEnum):
    """Seed 001's vocabulary: the job core's QUEUED is shown as PENDING."""

    PENDING = "PENDING"
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @classmethod
    def of(cls, status: JobStatus) -> FileStatus:
        return cls.PENDING if status is JobStatus.QUEUED else cls(status.value)

    @property
    def job_status(self) -> JobStatus:
        return JobStatus.QUEUED if self is FileStatus.PENDING else JobStatus(self.value)


# ImportJob fields the view shows as they are.
COPIED_JOB_FIELDS = (
    "original_name",
    "file_type",
    "mode",
    "requested_by",
    "rows_total",
    "rows_imported",
    "rows_unchanged",
    "rows_rejected",
    "created_at",
    "started_at",
    "expires_at",
    "cancel_requested",
)
# ImportJob fields shown reworked: under seed 001's names (id, s3Key, s3Bucket, fileSize,
# errorMessage, processedAt), the status in its vocabulary, updatedAt from the job's last
# change, the progress only where it is known, the error report as a presigned URL.
REWORKED_JOB_FIELDS = (
    "file_id",
    "object_key",
    "bucket",
    "file_size_bytes",
    "status",
    "error",
    "completed_at",
    "progress_percentage",
    "error_report_key",
)
# ImportJob fields callers never see, and why.
HIDDEN_JOB_FIELDS = {
    "tenant_id": "the caller's own; another tenant's file is not found",
    "notify": "recipients are told by e-mail; the caller named them",
    "sha256": "the Idempotency-Key check's; the caller has the file",
    "attempts": "the workers' bookkeeping",
    "lease_owner": "the workers' bookkeeping",
    "lease_expires_at": "the workers' bookkeeping",
    "retrying_since": "the workers' bookkeeping; errorMessage tells a failure",
    "last_error": "the workers' bookkeeping; errorMessage tells a failure",
}


def file_path(file_id: uuid.UUID | str) -> str:
    return f"{API_PREFIX}{FILES_PATH}/{file_id}"


def file_links(file_id: uuid.UUID) -> dict[str, str]:
    return {"self": file_path(file_id), "cancel": f"{file_path(file_id)}/cancel"}


class AcceptedFile(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    file_id: str
    status: FileStatus
    links: dict[str, str]

    @property
    def location(self) -> str:
        return file_path(self.file_id)


class PresignedUpload(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """Where to POST the file (multipart form: `fields` first, then `file`), until when."""

    file_id: str
    status: FileStatus
    url: str
    fields: dict[str, str]
    expires_at: datetime
    max_size_bytes: int
    links: dict[str, str]

    @property
    def location(self) -> str:
        return file_path(self.file_id)


class FileView(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    id: str
    original_name: str
    s3_key: str
    s3_bucket: str
    file_type: FileType
    file_size: int
    status: FileStatus
    error_message: str | None
    processed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    mode: ImportMode
    # None in listings while running: only the live state knows how far a job got.
    progress_percentage: int | None
    rows_total: int | None
    rows_imported: int | None
    rows_unchanged: int | None
    rows_rejected: int | None
    requested_by: str
    started_at: datetime | None
    expires_at: datetime
    cancel_requested: bool
    # Present when rows were rejected; presigned afresh for each read.
    error_report_url: str | None = None
    links: dict[str, str] = msgspec.field(default_factory=dict)


class FilePage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[FileView]
    page: int
    limit: int
    total: int


def accepted_file(file_id: uuid.UUID) -> AcceptedFile:
    return AcceptedFile(file_id=str(file_id), status=FileStatus.PENDING, links=file_links(file_id))


def file_view(
    job: ImportJob, *, progress_percentage: int | None, error_report_url: str | None = None
) -> FileView:
    return FileView(
        **copied_fields(job, COPIED_JOB_FIELDS),
        id=str(job.file_id),
        s3_key=job.object_key,
        s3_bucket=job.bucket,
        file_size=job.file_size_bytes,
        status=FileStatus.of(job.status),
        error_message=job.error,
        processed_at=job.completed_at,
        updated_at=max(m for m in (job.created_at, job.started_at, job.completed_at) if m),
        progress_percentage=progress_percentage,
        error_report_url=error_report_url,
        links=file_links(job.file_id),
    )
