"""An export job's live state: what the API shows and what workers claim."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec

from conveyor_common.exports.model import ExportFormat
from conveyor_common.jobs import JobStatus


class ExportJob(msgspec.Struct, frozen=True, kw_only=True):
    export_id: uuid.UUID
    tenant_id: str
    requested_by: str
    resource: str
    format: ExportFormat
    filters: dict[str, Any]
    columns: tuple[str, ...] | None = None
    title: str | None = None
    notify: tuple[str, ...]
    include_bom: bool = False
    status: JobStatus
    progress_percentage: int = 0
    estimated_row_count: int
    actual_row_count: int | None = None
    file_size_bytes: int | None = None
    object_key: str | None = None
    error: str | None = None
    created_at: datetime
    started_at: datetime | None = None
    completed_at: datetime | None = None
    expires_at: datetime
    # Claims: a worker holds the job until lease_expires_at (epoch seconds); a claim
    # after a dead worker's lease ran out counts as another attempt.
    attempts: int = 0
    lease_owner: str | None = None
    lease_expires_at: int | None = None
    cancel_requested: bool = False
    # Transient failures (a dependency down) give the job back without spending an
    # attempt; these say since when it has been waiting for its dependencies, and why.
    retrying_since: datetime | None = None
    last_error: str | None = None


def object_prefix(job: ExportJob) -> str:
    """Where every attempt of the job writes: its file and any upload left open."""
    return f"exports/{job.tenant_id}/{job.export_id}/"


def object_key(job: ExportJob, file_name: str) -> str:
    return f"{object_prefix(job)}{file_name}.{job.format.value}"
