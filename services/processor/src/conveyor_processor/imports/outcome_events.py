"""The events that announce an import's outcome, built from its job record."""

from __future__ import annotations

from datetime import datetime, timedelta

from conveyor_common.events import FileFailed, FileProcessed
from conveyor_common.imports.job import ImportJob
from conveyor_common.imports.model import EMAIL_LINK_TTL_SECONDS
from conveyor_common.jobs import JobStatus
from conveyor_processor.imports.ports import ImportFiles


def outcome_event(
    job: ImportJob, *, files: ImportFiles, now: datetime
) -> FileProcessed | FileFailed | None:
    """A failure is announced with its reason, a completion with its counts and, when
    rows were rejected, a fresh link to the error report; a cancel is not announced."""
    if job.status is JobStatus.FAILED:
        return FileFailed(
            file_id=job.file_id,
            requested_by=job.requested_by,
            original_name=job.original_name,
            mode=job.mode,
            notify=job.notify,
            reason=job.error or "the import failed",
        )
    if job.status is not JobStatus.COMPLETED:
        return None
    link, link_expires_at = None, None
    if job.error_report_key:
        link_expires_at = now + timedelta(seconds=EMAIL_LINK_TTL_SECONDS)
        link = files.link(job.bucket, job.error_report_key, expires_at=link_expires_at)
    return FileProcessed(
        file_id=job.file_id,
        requested_by=job.requested_by,
        original_name=job.original_name,
        mode=job.mode,
        notify=job.notify,
        rows_total=job.rows_total or 0,
        rows_imported=job.rows_imported or 0,
        rows_unchanged=job.rows_unchanged or 0,
        rows_rejected=job.rows_rejected or 0,
        error_report_url=link,
        error_report_url_expires_at=link_expires_at,
    )
