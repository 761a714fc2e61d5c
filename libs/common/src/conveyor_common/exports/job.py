"""An export job's live state: what the API shows and what workers claim."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from conveyor_common.exports.model import ExportFormat
from conveyor_common.jobs import Job, JobKind


class ExportJob(Job, frozen=True, kw_only=True):
    export_id: uuid.UUID
    requested_by: str
    resource: str
    format: ExportFormat
    filters: dict[str, Any]
    columns: tuple[str, ...] | None = None
    title: str | None = None
    notify: tuple[str, ...]
    include_bom: bool = False
    estimated_row_count: int
    # Set when the export completes (ExportResult).
    actual_row_count: int | None = None
    file_size_bytes: int | None = None
    object_key: str | None = None


class ExportResult(msgspec.Struct, frozen=True, kw_only=True):
    """What a completed export adds to its job: the stored file."""

    object_key: str
    actual_row_count: int
    file_size_bytes: int


def _export_id(job: ExportJob) -> uuid.UUID:
    return job.export_id


EXPORT_JOBS = JobKind(key_prefix="EXPORT", record=ExportJob, result=ExportResult, id_of=_export_id)


def object_prefix(job: ExportJob) -> str:
    """Where every attempt of the job writes: its file and any upload left open."""
    return f"exports/{job.tenant_id}/{job.export_id}/"


def object_key(job: ExportJob, file_name: str) -> str:
    return f"{object_prefix(job)}{file_name}.{job.format.value}"
