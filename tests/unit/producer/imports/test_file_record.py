"""One definition of an import job: the view, the listing and the QUEUED job all derive
from conveyor_common.imports.job.ImportJob, so a new field there needs a decision here."""

from __future__ import annotations

import uuid

import msgspec
from tests.unit.producer.conftest import START, TENANT, import_job

from conveyor_common.envelope import wrap
from conveyor_common.imports.job import ImportJob
from conveyor_common.imports.model import FileType, ImportMode
from conveyor_common.jobs import JobStatus
from conveyor_producer.imports.jobs import job_for, queued_job, uploaded_event
from conveyor_producer.imports.listing import LISTED_FIELDS, UNLISTED_FIELDS, listed_job
from conveyor_producer.imports.views import (
    COPIED_JOB_FIELDS,
    HIDDEN_JOB_FIELDS,
    REWORKED_JOB_FIELDS,
    FileStatus,
    FileView,
    file_view,
)

JOB_FIELDS = {field.name: field for field in msgspec.structs.fields(ImportJob)}
VIEW_FIELDS = {field.name: field for field in msgspec.structs.fields(FileView)}
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


def test_every_import_job_field_is_shown_or_deliberately_hidden() -> None:
    copied, reworked, hidden = (
        set(COPIED_JOB_FIELDS),
        set(REWORKED_JOB_FIELDS),
        set(HIDDEN_JOB_FIELDS),
    )

    assert copied | reworked | hidden == set(JOB_FIELDS)
    assert not copied & reworked
    assert not copied & hidden
    assert not reworked & hidden


def test_a_copied_field_has_the_same_type_in_the_view() -> None:
    for name in COPIED_JOB_FIELDS:
        assert VIEW_FIELDS[name].type == JOB_FIELDS[name].type, name


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


def test_the_listing_reads_every_field_it_does_not_deliberately_leave() -> None:
    assert set(LISTED_FIELDS) | UNLISTED_FIELDS == set(JOB_FIELDS)
    job = import_job(status=JobStatus.COMPLETED, rows_total=3, rows_rejected=1)
    row = {name: getattr(job, name) for name in LISTED_FIELDS}

    listed = listed_job(row)

    assert listed == msgspec.structs.replace(job, notify=())
