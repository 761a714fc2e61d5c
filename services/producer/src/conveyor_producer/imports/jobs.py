"""What an accepted upload becomes: its QUEUED ImportJob and its FileUploaded event.

The job is made first (the presigned path records it before the file exists); the
event is made from the job, and a recorded event gives the job back (the acceptance
flow records what it publishes)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from conveyor_common.envelope import Envelope
from conveyor_common.events import FileUploaded
from conveyor_common.imports.job import ImportJob
from conveyor_common.imports.model import (
    RETENTION_DAYS,
    FileType,
    ImportMode,
    safe_file_name,
    upload_key,
)
from conveyor_common.jobs import JobStatus
from conveyor_producer.records import copied_fields

# The job's fields the event carries under the same name.
_SHARED = tuple(
    name for name in ImportJob.__struct_fields__ if name in FileUploaded.__struct_fields__
)


def queued_job(
    *,
    file_id: uuid.UUID,
    tenant_id: str,
    requested_by: str,
    original_name: str,
    bucket: str,
    file_type: FileType,
    size_bytes: int,
    mode: ImportMode,
    notify: tuple[str, ...],
    now: datetime,
    sha256: str | None = None,
) -> ImportJob:
    """A new upload's job, stored under its sanitised name."""
    name = safe_file_name(original_name)
    return ImportJob(
        file_id=file_id,
        tenant_id=tenant_id,
        requested_by=requested_by,
        original_name=name,
        bucket=bucket,
        object_key=upload_key(tenant_id, file_id, name),
        file_type=file_type,
        file_size_bytes=size_bytes,
        mode=mode,
        notify=notify,
        sha256=sha256,
        status=JobStatus.QUEUED,
        created_at=now,
        expires_at=now + timedelta(days=RETENTION_DAYS),
    )


def uploaded_event(job: ImportJob, *, uploaded_at: datetime) -> FileUploaded:
    return FileUploaded(**copied_fields(job, _SHARED), uploaded_at=uploaded_at)


def job_for(envelope: Envelope) -> ImportJob:
    """The QUEUED job a FileUploaded event stands for."""
    event = envelope.of(FileUploaded).payload
    return ImportJob(
        **copied_fields(event, _SHARED),
        tenant_id=envelope.tenant_id,
        status=JobStatus.QUEUED,
        created_at=event.uploaded_at,
    )
