"""An export's outcome events say what the job says: which export, whom to tell, and the
file or the reason."""

from __future__ import annotations

import uuid
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from conveyor_common.events import ExportCompleted, ExportFailed
from conveyor_common.exports.job import ExportJob
from conveyor_common.exports.model import ExportFormat
from conveyor_common.jobs import JobStatus
from conveyor_processor.exports.outcome_events import outcome_event
from conveyor_processor.exports.ports import Sink

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
KEY = "exports/acme/x/q2.csv"


class Links:
    def open(self, key: str, *, content_type: str, file_name: str) -> AbstractContextManager[Sink]:
        raise AssertionError("not called")

    def abort_uploads(self, prefix: str) -> int:
        raise AssertionError("not called")

    def link(self, key: str, *, expires_at: datetime) -> str:
        return f"https://files.example/{key}?until={expires_at.isoformat()}"


def a_job(status: JobStatus, **changes: Any) -> ExportJob:
    job = ExportJob(
        export_id=uuid.uuid4(),
        tenant_id="acme",
        requested_by="alice",
        resource="orders",
        format=ExportFormat.XLSX,
        filters={},
        title="Q2",
        notify=("alice@example.com", "bob@example.com"),
        status=status,
        estimated_row_count=3,
        created_at=NOW,
        expires_at=NOW + timedelta(days=30),
    )
    return msgspec.structs.replace(job, **changes)


def test_a_completed_export_is_announced_with_its_file_and_a_fresh_link() -> None:
    job = a_job(JobStatus.COMPLETED, object_key=KEY, actual_row_count=3, file_size_bytes=25)
    event = outcome_event(job, files=Links(), now=NOW)
    assert event == ExportCompleted(
        export_id=job.export_id,
        requested_by="alice",
        resource="orders",
        format=ExportFormat.XLSX,
        title="Q2",
        notify=("alice@example.com", "bob@example.com"),
        file_name="q2.csv",
        row_count=3,
        size_bytes=25,
        download_url=f"https://files.example/{KEY}?until={(NOW + timedelta(days=7)).isoformat()}",
        download_url_expires_at=NOW + timedelta(days=7),
        expires_at=job.expires_at,
    )


def test_a_failed_export_is_announced_with_its_reason() -> None:
    job = a_job(JobStatus.FAILED, error="the database could not be reached: x")
    assert outcome_event(job, files=Links(), now=NOW) == ExportFailed(
        export_id=job.export_id,
        requested_by="alice",
        resource="orders",
        format=ExportFormat.XLSX,
        title="Q2",
        notify=("alice@example.com", "bob@example.com"),
        reason="the database could not be reached: x",
    )


def test_a_cancelled_export_is_not_announced() -> None:
    job = a_job(JobStatus.CANCELLED)
    assert outcome_event(job, files=Links(), now=NOW) is None
