"""What callers see of an export: camelCase JSON, links to itself and to its cancel action.

The view is made from conveyor_common.exports.job.ExportJob, whether read from the
live state or listed from export_jobs: each of its fields is shown as it is, shown
reworked, or hidden on purpose (the lists below; a test keeps them complete, so a
new ExportJob field needs a decision here).
"""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from conveyor_common.exports.job import ExportJob
from conveyor_common.exports.model import ExportFormat
from conveyor_common.jobs import JobStatus
from conveyor_producer.http.paths import API_PREFIX
from conveyor_producer.records import copied_fields

EXPORTS_PATH = "/exports"

# ExportJob fields the view shows as they are.
COPIED_JOB_FIELDS = (
    "status",
    "estimated_row_count",
    "actual_row_count",
    "file_size_bytes",
    "format",
    "resource",
    "title",
    "requested_by",
    "error",
    "created_at",
    "started_at",
    "completed_at",
    "expires_at",
    "cancel_requested",
)
# ExportJob fields the view shows reworked: the id as text, the progress only where it
# is known (not in listings of running exports), the file as a presigned download URL.
REWORKED_JOB_FIELDS = ("export_id", "progress_percentage", "object_key")
# ExportJob fields callers never see, and why.
HIDDEN_JOB_FIELDS = {
    "tenant_id": "the caller's own; another tenant's export is not found",
    "filters": "what was asked for is not echoed, only what it produced",
    "columns": "what was asked for is not echoed, only what it produced",
    "notify": "recipients are told by e-mail; the caller named them",
    "include_bom": "a detail of the file, not of its state",
    "attempts": "the workers' bookkeeping",
    "lease_owner": "the workers' bookkeeping",
    "lease_expires_at": "the workers' bookkeeping",
    "retrying_since": "the workers' bookkeeping; `error` tells a failure",
    "last_error": "the workers' bookkeeping; `error` tells a failure",
}


def export_path(export_id: uuid.UUID | str) -> str:
    return f"{API_PREFIX}{EXPORTS_PATH}/{export_id}"


class AcceptedExport(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    export_id: str
    status: JobStatus
    estimated_row_count: int
    links: dict[str, str]

    @property
    def location(self) -> str:
        return export_path(self.export_id)


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


def accepted_export(export_id: uuid.UUID, *, estimated_row_count: int) -> AcceptedExport:
    return AcceptedExport(
        export_id=str(export_id),
        status=JobStatus.QUEUED,
        estimated_row_count=estimated_row_count,
        links={"self": export_path(export_id), "cancel": f"{export_path(export_id)}/cancel"},
    )


def export_view(
    job: ExportJob,
    *,
    progress_percentage: int | None,
    download: DownloadLink | None = None,
) -> ExportView:
    return ExportView(
        **copied_fields(job, COPIED_JOB_FIELDS),
        export_id=str(job.export_id),
        progress_percentage=progress_percentage,
        download_url=download.url if download else None,
        download_url_expires_at=download.expires_at if download else None,
    )
