"""One definition of an import job: the view, the listing and the QUEUED job all derive
from conveyor_common.imports.job.ImportJob, so a new field there needs a decision here
(what every kind shares is held in tests/unit/producer/jobs/test_job_records.py)."""

from __future__ import annotations

import uuid

import msgspec
from tests.unit.producer.conftest import START, TENANT, import_job

from conveyor_common.envelope import wrap
from conveyor_common.imports.model import FileType, ImportMode
from conveyor_common.jobs import JobStatus
from conveyor_producer.imports.jobs import job_for, queued_job, uploaded_event
from conveyor_producer.imports.views import FileStatus, file_view

# Seed 001's record, plus the import's own fields.
SEED_FIELDS = {
    "id",
    "originalName",
    "s3Key",
    "s3Bucket",
    "fileType",
    "fileSize",
    "status",
    "errorMessage",
    "processedAt",
    "createdAt",
    "updatedAt",
}
IMPORT_FIELDS = {
    "mode",
    "progressPercentage",
    "rowsTotal",
    "rowsImported",
    "rowsUnchanged",
    "rowsRejected",
}


def test_the_view_holds_seed_001s_record_and_the_imports_counts() -> None:
    shown = set(msgspec.to_builtins(file_view(import_job(), progress_percentage=0)))

    assert shown >= SEED_FIELDS | IMPORT_FIELDS


def test_a_view_shows_queued_as_pending_and_the_file_under_seed_names() -> None:
    job = import_job(status=JobStatus.QUEUED)

    view = file_view(job, progress_percentage=0)

    assert view.status is FileStatus.PENDING
    assert (view.id, view.s3_key, view.s3_bucket) == (str(job.file_id), job.object_key, job.bucket)
    assert (view.file_size, view.updated_at, view.processed_at) == (120, START, None)


def test_every_job_status_has_a_file_status_and_back() -> None:
    for status in JobStatus:
        assert FileStatus.of(status).job_status is status


def test_a_queued_job_round_trips_through_its_event() -> None:
    job = queued_job(
        file_id=uuid.uuid4(),
        tenant_id=TENANT,
        requested_by="alice",
        original_name="../../etc/orders\x00.csv",
        bucket="conveyor-uploads",
        file_type=FileType.CSV,
        size_bytes=10,
        mode=ImportMode.VALIDATE,
        notify=("alice@example.com",),
        now=START,
        sha256="ab" * 32,
    )
    envelope = wrap(
        uploaded_event(job, uploaded_at=START),
        tenant_id=TENANT,
        correlation_id="c",
        occurred_at=START,
    )

    assert job.original_name == "orders.csv"
    assert job.object_key == f"uploads/{TENANT}/{job.file_id}/orders.csv"
    assert job_for(envelope) == job
