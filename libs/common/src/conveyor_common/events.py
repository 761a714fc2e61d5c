"""Every event Conveyor publishes, one typed payload each."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, TypedDict

from conveyor_common.envelope import Event, register
from conveyor_common.exports.job import ExportJob
from conveyor_common.exports.model import ExportFormat
from conveyor_common.imports.model import FileType, ImportMode
from conveyor_common.orders import Order


@register
class OrderSubmitted(Event, frozen=True, kw_only=True):
    event_type = "OrderSubmitted"
    schema_version = 1

    order: Order


@register
class OrderPersisted(Event, frozen=True, kw_only=True):
    """The order is stored in the system of record: only now may it be confirmed.

    Published by the processor on every delivery of its OrderSubmitted, always with
    the same event id (persisted_event_id), so the confirmation is sent once.
    """

    event_type = "OrderPersisted"
    schema_version = 1

    order: Order


def persisted_event_id(order_id: uuid.UUID) -> uuid.UUID:
    """The one event id of an order's OrderPersisted, whichever delivery publishes it."""
    return uuid.uuid5(order_id, OrderPersisted.event_type)


class _ExportEvent(Event, frozen=True, kw_only=True):
    """What every export e-mail needs: which export, and whom to tell."""

    export_id: uuid.UUID
    requested_by: str
    resource: str
    format: ExportFormat
    title: str | None
    notify: tuple[str, ...]


class _ExportSubject(TypedDict):
    """_ExportEvent's fields, as the job holds them: the type checker matches the two."""

    export_id: uuid.UUID
    requested_by: str
    resource: str
    format: ExportFormat
    title: str | None
    notify: tuple[str, ...]


def _subject(job: ExportJob) -> _ExportSubject:
    return _ExportSubject(
        export_id=job.export_id,
        requested_by=job.requested_by,
        resource=job.resource,
        format=job.format,
        title=job.title,
        notify=job.notify,
    )


@register
class ExportRequested(_ExportEvent, frozen=True, kw_only=True):
    event_type = "ExportRequested"
    schema_version = 1

    filters: dict[str, Any]
    columns: tuple[str, ...] | None
    include_bom: bool
    estimated_row_count: int
    requested_at: datetime
    expires_at: datetime


@register
class ExportCompleted(_ExportEvent, frozen=True, kw_only=True):
    event_type = "ExportCompleted"
    schema_version = 1

    file_name: str
    row_count: int
    size_bytes: int
    download_url: str
    download_url_expires_at: datetime
    expires_at: datetime

    @classmethod
    def of(
        cls,
        job: ExportJob,
        *,
        file_name: str,
        download_url: str,
        download_url_expires_at: datetime,
    ) -> ExportCompleted:
        """The announcement of a completed job (its file's figures are in the job)."""
        return cls(
            **_subject(job),
            file_name=file_name,
            row_count=job.actual_row_count or 0,
            size_bytes=job.file_size_bytes or 0,
            download_url=download_url,
            download_url_expires_at=download_url_expires_at,
            expires_at=job.expires_at,
        )


@register
class ExportFailed(_ExportEvent, frozen=True, kw_only=True):
    event_type = "ExportFailed"
    schema_version = 1

    reason: str

    @classmethod
    def of(cls, job: ExportJob) -> ExportFailed:
        return cls(**_subject(job), reason=job.error or "the export failed")


class _FileEvent(Event, frozen=True, kw_only=True):
    """What every file e-mail needs: which upload, and whom to tell."""

    file_id: uuid.UUID
    requested_by: str
    original_name: str
    mode: ImportMode
    notify: tuple[str, ...]


@register
class FileUploaded(_FileEvent, frozen=True, kw_only=True):
    """A file is stored in S3 and its QUEUED import job exists: import it."""

    event_type = "FileUploaded"
    schema_version = 1

    bucket: str
    object_key: str
    file_type: FileType
    file_size_bytes: int
    uploaded_at: datetime
    expires_at: datetime
    # The bytes' SHA-256 (hex) when the API streamed them; None for a presigned upload.
    sha256: str | None = None


@register
class FileProcessed(_FileEvent, frozen=True, kw_only=True):
    event_type = "FileProcessed"
    schema_version = 1

    rows_total: int
    rows_imported: int
    rows_unchanged: int
    rows_rejected: int
    # A link to the error report when rows were rejected.
    error_report_url: str | None = None
    error_report_url_expires_at: datetime | None = None


@register
class FileFailed(_FileEvent, frozen=True, kw_only=True):
    event_type = "FileFailed"
    schema_version = 1

    reason: str
