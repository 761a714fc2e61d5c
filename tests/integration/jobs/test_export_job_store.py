"""Export jobs in the leased job store: claims, leases, outcome and cancellation against
DynamoDB on the moto server, in the item layout the producer and existing data use."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from conveyor_aws.job_store import LeasedJobStore
from conveyor_aws.state_store import StateStore
from conveyor_common.exports.job import EXPORT_JOBS, ExportJob, ExportResult
from conveyor_common.exports.model import ExportFormat
from conveyor_common.jobs import JobStatus

pytestmark = pytest.mark.integration

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
LEASE_SECONDS = 30


def a_job() -> ExportJob:
    return ExportJob(
        export_id=uuid.uuid4(),
        tenant_id="acme",
        requested_by="alice",
        resource="orders",
        format=ExportFormat.CSV,
        filters={"currency": ["EUR"]},
        columns=None,
        title="Q2",
        notify=("alice@example.com",),
        status=JobStatus.QUEUED,
        estimated_row_count=10,
        created_at=NOW,
        expires_at=NOW + timedelta(days=30),
    )


Store = LeasedJobStore[ExportJob, ExportResult]


@pytest.fixture
def store(aws: dict[str, str]) -> Store:
    return LeasedJobStore(StateStore(table=aws["STATE_TABLE"]), EXPORT_JOBS)


def test_a_job_is_created_once_and_reads_back(store: Store) -> None:
    job = a_job()
    assert store.create(job)
    assert not store.create(job)
    assert store.get(job.export_id) == job


def test_only_one_worker_claims_a_job(store: Store) -> None:
    job = a_job()
    store.create(job)
    first = store.claim(job.export_id, owner="w1", lease_seconds=LEASE_SECONDS, now=NOW)
    second = store.claim(job.export_id, owner="w2", lease_seconds=LEASE_SECONDS, now=NOW)
    assert first is not None
    assert first.status is JobStatus.PROCESSING
    assert first.attempts == 1
    assert first.started_at == NOW
    assert second is None


def test_an_expired_lease_is_claimed_again_as_another_attempt(store: Store) -> None:
    job = a_job()
    store.create(job)
    store.claim(job.export_id, owner="dead", lease_seconds=LEASE_SECONDS, now=NOW)
    later = NOW + timedelta(seconds=LEASE_SECONDS + 1)
    reclaimed = store.claim(job.export_id, owner="w2", lease_seconds=LEASE_SECONDS, now=later)
    assert reclaimed is not None
    assert reclaimed.lease_owner == "w2"
    assert reclaimed.attempts == 2
    # the dead worker's heartbeat and finish are refused from now on
    assert store.renew(job.export_id, owner="dead", lease_seconds=5, now=later) is None
    assert store.finish(job.export_id, owner="dead", status=JobStatus.COMPLETED, now=later) is None


def test_a_released_job_is_reclaimed_at_once_without_spending_an_attempt(
    store: Store,
) -> None:
    job = a_job()
    store.create(job)
    store.claim(job.export_id, owner="w1", lease_seconds=LEASE_SECONDS, now=NOW)
    # only the owner may give it back
    assert store.release(job.export_id, owner="w2", now=NOW, reason="db down") is None
    released = store.release(job.export_id, owner="w1", now=NOW, reason="db down")
    assert released is not None
    assert (released.attempts, released.retrying_since, released.last_error) == (0, NOW, "db down")
    later = NOW + timedelta(seconds=5)
    reclaimed = store.claim(job.export_id, owner="w2", lease_seconds=LEASE_SECONDS, now=later)
    assert reclaimed is not None
    assert reclaimed.attempts == 1
    # a second release keeps the time the retries began
    again = store.release(job.export_id, owner="w2", now=later, reason="s3 down")
    assert again is not None
    assert (again.retrying_since, again.last_error) == (NOW, "s3 down")


def test_renewal_records_progress_and_finish_is_final(store: Store) -> None:
    job = a_job()
    store.create(job)
    store.claim(job.export_id, owner="w1", lease_seconds=LEASE_SECONDS, now=NOW)
    beat = store.renew(
        job.export_id, owner="w1", lease_seconds=LEASE_SECONDS, now=NOW, progress_percentage=40
    )
    assert beat is not None
    assert beat.progress_percentage == 40
    done = store.finish(
        job.export_id,
        owner="w1",
        status=JobStatus.COMPLETED,
        now=NOW,
        progress_percentage=100,
        result=ExportResult(
            object_key="exports/acme/x/q2.csv", actual_row_count=4, file_size_bytes=123
        ),
    )
    assert done is not None
    assert done.status is JobStatus.COMPLETED
    assert done.lease_owner is None
    assert done.completed_at == NOW
    assert (done.progress_percentage, done.file_size_bytes, done.actual_row_count) == (100, 123, 4)
    assert done.object_key == "exports/acme/x/q2.csv"
    assert store.claim(job.export_id, owner="w3", lease_seconds=5, now=NOW) is None


def test_cancel_stops_a_queued_job_at_once_and_flags_a_running_one(
    store: Store,
) -> None:
    queued, running, finished = a_job(), a_job(), a_job()
    for job in (queued, running, finished):
        store.create(job)
    store.claim(running.export_id, owner="w1", lease_seconds=LEASE_SECONDS, now=NOW)
    store.claim(finished.export_id, owner="w1", lease_seconds=LEASE_SECONDS, now=NOW)
    store.finish(finished.export_id, owner="w1", status=JobStatus.COMPLETED, now=NOW)

    cancelled = store.request_cancel(queued.export_id, now=NOW)
    assert cancelled is not None
    assert cancelled.status is JobStatus.CANCELLED
    assert store.claim(queued.export_id, owner="w2", lease_seconds=5, now=NOW) is None

    flagged = store.request_cancel(running.export_id, now=NOW)
    assert flagged is not None
    assert flagged.status is JobStatus.PROCESSING
    assert flagged.cancel_requested

    unchanged = store.request_cancel(finished.export_id, now=NOW)
    assert unchanged is not None
    assert unchanged.status is JobStatus.COMPLETED
    assert store.request_cancel(uuid.uuid4(), now=NOW) is None


def test_a_job_is_the_item_existing_data_and_the_producer_have(
    aws: dict[str, str], store: Store
) -> None:
    # given a job as the store writes it
    items = StateStore(table=aws["STATE_TABLE"])
    job = a_job()
    store.create(job)

    # then it is EXPORT#{id} / STATE, one attribute per field set, and its expiry as ttl
    item = items.get(f"EXPORT#{job.export_id}", "STATE")
    assert item is not None
    assert item["ttl"] == int(job.expires_at.timestamp())
    assert item["export_id"] == str(job.export_id)
    assert (item["status"], item["created_at"]) == ("QUEUED", "2026-06-01T12:00:00Z")
    assert set(item) == {"pk", "sk", "ttl"} | {
        name for name in ExportJob.__struct_fields__ if getattr(job, name) is not None
    }

    # and an item written by hand in that layout is a job the store can claim
    written = a_job()
    attributes = {**item, "export_id": str(written.export_id)}
    items.put(f"EXPORT#{written.export_id}", "STATE", attributes)
    claimed = store.claim(written.export_id, owner="w1", lease_seconds=LEASE_SECONDS, now=NOW)
    assert claimed is not None
    assert (claimed.export_id, claimed.attempts) == (written.export_id, 1)
