"""What callers see of an export: camelCase JSON, links to itself and to its cancel action."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol

import msgspec

from conveyor_common.exports.model import ExportFormat
from conveyor_common.jobs import JobStatus

EXPORTS_PATH = "/api/v1/exports"
COMPLETE_PERCENTAGE = 100


def export_path(export_id: uuid.UUID | str) -> str:
    return f"{EXPORTS_PATH}/{export_id}"


class AcceptedExport(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    export_id: str
    status: JobStatus
    estimated_row_count: int
    links: dict[str, str]


class ExportView(msgspec.Struct, frozen=True, kw_only=True, rename="camel", omit_defaults=True):
    export_id: str
    status: JobStatus
    # None in listings while running: only the live state knows how far a job got.
    progress_percentage: int | None
    estimated_row_count: int
    actual_row_count: int | None
    file_size_bytes: int | None
    format: ExportFormat
    resource: str
    title: str | None
    requested_by: str
    error: str | None
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    expires_at: datetime
    cancel_requested: bool
    # Present only once the export completed; presigned afresh for each read.
    download_url: str | None = None
    download_url_expires_at: datetime | None = None


class ExportPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[ExportView]
    page: int
    limit: int
    total: int


class DownloadLink(msgspec.Struct, frozen=True, kw_only=True):
    url: str
    expires_at: datetime


class ExportFacts(Protocol):
    """What both the live state and the catalogue know of an export."""

    @property
    def export_id(self) -> uuid.UUID: ...
    @property
    def requested_by(self) -> str: ...
    @property
    def resource(self) -> str: ...
    @property
    def format(self) -> ExportFormat: ...
    @property
    def status(self) -> JobStatus: ...
    @property
    def title(self) -> str | None: ...
    @property
    def estimated_row_count(self) -> int: ...
    @property
    def actual_row_count(self) -> int | None: ...
    @property
    def file_size_bytes(self) -> int | None: ...
    @property
    def error(self) -> str | None: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def started_at(self) -> datetime | None: ...
    @property
    def completed_at(self) -> datetime | None: ...
    @property
    def expires_at(self) -> datetime: ...


def accepted_export(export_id: uuid.UUID, *, estimated_row_count: int) -> AcceptedExport:
    return AcceptedExport(
        export_id=str(export_id),
        status=JobStatus.QUEUED,
        estimated_row_count=estimated_row_count,
        links={"self": export_path(export_id), "cancel": f"{export_path(export_id)}/cancel"},
    )


def export_view(
    facts: ExportFacts,
    *,
    progress_percentage: int | None,
    cancel_requested: bool = False,
    download: DownloadLink | None = None,
) -> ExportView:
    return ExportView(
        export_id=str(facts.export_id),
        status=facts.status,
        progress_percentage=progress_percentage,
        estimated_row_count=facts.estimated_row_count,
        actual_row_count=facts.actual_row_count,
        file_size_bytes=facts.file_size_bytes,
        format=facts.format,
        resource=facts.resource,
        title=facts.title,
        requested_by=facts.requested_by,
        error=facts.error,
        created_at=facts.created_at,
        started_at=facts.started_at,
        completed_at=facts.completed_at,
        expires_at=facts.expires_at,
        cancel_requested=cancel_requested,
        download_url=download.url if download else None,
        download_url_expires_at=download.expires_at if download else None,
    )


def catalogue_progress(status: JobStatus) -> int | None:
    """The catalogue keeps no progress: complete when completed, unknown while running."""
    if status is JobStatus.COMPLETED:
        return COMPLETE_PERCENTAGE
    return None if status is JobStatus.PROCESSING else 0
