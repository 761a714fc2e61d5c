"""One definition of an export job: the view, the listing and the QUEUED job all derive
from conveyor_common.exports.job.ExportJob, so a new field there needs a decision here
(what every kind shares is held in tests/unit/producer/jobs/test_job_records.py)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import msgspec
from tests.unit.producer.conftest import START, export_job

from conveyor_common.envelope import wrap
from conveyor_common.exports.job import ExportJob
from conveyor_common.exports.model import ExportFormat, ExportRequest
from conveyor_common.jobs import JobStatus
from conveyor_producer.exports.jobs import job_for, requested_event
from conveyor_producer.exports.views import COPIED_JOB_FIELDS, ExportView, export_view

VIEW_FIELDS = {field.name: field for field in msgspec.structs.fields(ExportView)}


def test_the_view_shows_nothing_it_does_not_take_from_the_job() -> None:
    # besides the download link, which stands for the job's object_key
    download = {"download_url", "download_url_expires_at"}

    assert set(VIEW_FIELDS) - download == set(COPIED_JOB_FIELDS) | {
        "export_id",
        "progress_percentage",
    }


def test_a_view_copies_the_job() -> None:
    job = export_job(status=JobStatus.FAILED, error="boom", title="Q1", cancel_requested=True)

    view = export_view(job, progress_percentage=None)

    assert view.export_id == str(job.export_id)
    for name in COPIED_JOB_FIELDS:
        assert getattr(view, name) == getattr(job, name), name


def test_the_queued_job_is_the_event_it_was_published_as() -> None:
    request = ExportRequest(
        resource="orders", format=ExportFormat.PDF, notify=["a@example.com"], title="T"
    )
    event = requested_event(request, uuid.uuid4(), requested_by="alice", count=9, now=START)

    job = job_for(wrap(event, tenant_id="acme", correlation_id="c", occurred_at=START))

    assert job == ExportJob(
        export_id=event.export_id,
        tenant_id="acme",
        requested_by="alice",
        resource="orders",
        format=request.format,
        filters={},
        title="T",
        notify=("a@example.com",),
        status=JobStatus.QUEUED,
        estimated_row_count=9,
        created_at=START,
        expires_at=START + timedelta(days=30),
    )
