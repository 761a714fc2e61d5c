"""The events that announce an export's outcome, built from its job record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from conveyor_common.envelope import Envelope, wrap
from conveyor_common.events import ExportCompleted, ExportFailed
from conveyor_common.exports.job import ExportJob
from conveyor_processor.exports.policy import outcome_event_id

COMPLETED = "completed"
FAILED = "failed"


def completed_envelope(
    job: ExportJob,
    *,
    correlation_id: str,
    file_name: str,
    download_url: str,
    download_url_expires_at: datetime,
    occurred_at: datetime,
) -> Envelope:
    payload = ExportCompleted(
        **_about(job),
        file_name=file_name,
        row_count=job.actual_row_count or 0,
        size_bytes=job.file_size_bytes or 0,
        download_url=download_url,
        download_url_expires_at=download_url_expires_at,
        expires_at=job.expires_at,
    )
    return wrap(
        payload,
        tenant_id=job.tenant_id,
        correlation_id=correlation_id,
        event_id=outcome_event_id(job.export_id, COMPLETED),
        occurred_at=occurred_at,
    )


def failed_envelope(job: ExportJob, *, correlation_id: str, occurred_at: datetime) -> Envelope:
    payload = ExportFailed(
        **_about(job),
        reason=job.error or "the export failed",
    )
    return wrap(
        payload,
        tenant_id=job.tenant_id,
        correlation_id=correlation_id,
        event_id=outcome_event_id(job.export_id, FAILED),
        occurred_at=occurred_at,
    )


def _about(job: ExportJob) -> dict[str, Any]:
    """What every export event says about its export."""
    return {
        "export_id": job.export_id,
        "requested_by": job.requested_by,
        "resource": job.resource,
        "format": job.format,
        "title": job.title,
        "notify": job.notify,
    }
