"""An import job's live state: what `GET /api/v1/files/{id}` shows and what workers claim."""

from __future__ import annotations

import uuid

import msgspec

from conveyor_common.imports.model import FileType, ImportMode
from conveyor_common.jobs import Job, JobKind


class ImportJob(Job, frozen=True, kw_only=True):
    file_id: uuid.UUID
    requested_by: str
    original_name: str
    bucket: str
    object_key: str
    file_type: FileType
    file_size_bytes: int
    mode: ImportMode = ImportMode.IMPORT
    notify: tuple[str, ...]
    # The uploaded bytes' SHA-256 (hex), when the API saw them; an Idempotency-Key
    # reused with another file is refused by it.
    sha256: str | None = None
    # Counted as the file is read; final once the job is COMPLETED (ImportResult).
    rows_total: int | None = None
    rows_imported: int | None = None
    rows_unchanged: int | None = None
    rows_rejected: int | None = None
    error_report_key: str | None = None


class ImportResult(msgspec.Struct, frozen=True, kw_only=True):
    """What a completed import adds to its job: its counts and, if rows were rejected,
    the error report."""

    rows_total: int
    rows_imported: int
    rows_unchanged: int
    rows_rejected: int
    error_report_key: str | None = None


def _file_id(job: ImportJob) -> uuid.UUID:
    return job.file_id


IMPORT_JOBS = JobKind(key_prefix="FILE", record=ImportJob, result=ImportResult, id_of=_file_id)
