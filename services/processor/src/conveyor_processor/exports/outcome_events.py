"""The events that announce an export's outcome, built from its job record."""

from __future__ import annotations

from datetime import datetime, timedelta

from conveyor_common.events import ExportCompleted, ExportFailed
from conveyor_common.exports.job import ExportJob
from conveyor_common.exports.model import EMAIL_LINK_TTL_SECONDS
from conveyor_common.jobs import JobStatus
from conveyor_processor.exports.ports import ExportFiles


def outcome_event(
    job: ExportJob, *, files: ExportFiles, now: datetime
) -> ExportCompleted | ExportFailed | None:
    """A failure is announced with its reason, a completion with a fresh download link;
    a cancel is not announced (its requester asked for it)."""
    if job.status is JobStatus.FAILED:
        return ExportFailed.of(job)
    if job.status is JobStatus.COMPLETED and job.object_key:
        expires_at = now + timedelta(seconds=EMAIL_LINK_TTL_SECONDS)
        return ExportCompleted.of(
            job,
            file_name=job.object_key.rsplit("/", 1)[-1],
            download_url=files.link(job.object_key, expires_at=expires_at),
            download_url_expires_at=expires_at,
        )
    return None
