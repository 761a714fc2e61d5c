"""conveyor_jobs{kind,status}: the catalogue counted by one GROUP BY per kind, sampled."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import Engine

from conveyor_aws.metrics.sampling import SAMPLE_INTERVAL_SECONDS
from conveyor_common.exports.job import ExportJob
from conveyor_common.exports.model import ExportFormat
from conveyor_common.jobs import JobStatus
from conveyor_processor.db import build_engine
from conveyor_processor.exports.history import export_history
from conveyor_processor.job_metrics import JobsCollector


@pytest.fixture
def engine(db: str) -> Iterator[Engine]:
    engine = build_engine(db)
    yield engine
    engine.dispose()


def an_export(status: JobStatus) -> ExportJob:
    now = datetime.now(UTC)
    return ExportJob(
        export_id=uuid.uuid4(),
        tenant_id="t",
        requested_by="alice",
        resource="orders",
        format=ExportFormat.CSV,
        filters={},
        notify=("alice@example.com",),
        status=status,
        estimated_row_count=1,
        created_at=now,
        expires_at=now + timedelta(days=30),
    )


def test_jobs_are_counted_by_kind_and_status_from_a_sample(engine: Engine) -> None:
    history = export_history(engine)
    for status in (JobStatus.COMPLETED, JobStatus.COMPLETED, JobStatus.FAILED):
        history.upsert(an_export(status))
    now = [0.0]
    registry = CollectorRegistry()
    registry.register(JobsCollector(engine, clock=lambda: now[0]))

    def jobs(status: JobStatus) -> float | None:
        labels = {"kind": "export", "status": status.value}
        return registry.get_sample_value("conveyor_jobs", labels)

    assert (jobs(JobStatus.COMPLETED), jobs(JobStatus.FAILED)) == (2, 1)
    # a job finishing within the sample's interval shows at the next sample
    history.upsert(an_export(JobStatus.FAILED))
    assert jobs(JobStatus.FAILED) == 1
    now[0] += SAMPLE_INTERVAL_SECONDS
    assert jobs(JobStatus.FAILED) == 2
    assert jobs(JobStatus.QUEUED) is None
