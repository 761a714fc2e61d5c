"""The job store's updates as sent: each sets a job's status in its last SET clause.

DynamoDB applies an update at once; moto applies its clauses one by one while other
threads answer reads, so a status set first let a reader see COMPLETED with no counts.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from conveyor_aws.job_store import LeasedJobStore
from conveyor_aws.update_expression import UpdateExpression
from conveyor_common.imports.job import IMPORT_JOBS, ImportJob, ImportResult
from conveyor_common.imports.model import FileType
from conveyor_common.jobs import JobStatus

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
JOB_ID = uuid.uuid4()

Store = LeasedJobStore[ImportJob, ImportResult]


class RecordingStore:
    """Keeps each update it is sent and answers with a processing job."""

    def __init__(self) -> None:
        self.updates: list[UpdateExpression] = []

    def update_existing(self, pk: str, sk: str, update: UpdateExpression) -> dict[str, Any]:
        self.updates.append(update)
        return _item(JobStatus.PROCESSING)

    def get(self, pk: str, sk: str) -> Mapping[str, Any] | None:
        return _item(JobStatus.PROCESSING)


def _item(status: JobStatus) -> dict[str, Any]:
    return {
        "file_id": str(JOB_ID),
        "tenant_id": "acme",
        "requested_by": "alice",
        "original_name": "o.csv",
        "bucket": "b",
        "object_key": "uploads/acme/o.csv",
        "file_type": FileType.CSV.value,
        "file_size_bytes": 10,
        "notify": [],
        "status": status.value,
        "created_at": NOW.isoformat(),
        "expires_at": (NOW + timedelta(days=1)).isoformat(),
    }


def _set_attributes(update: UpdateExpression) -> list[str]:
    """The attributes of the SET clause, in the order the update writes them."""
    sets = re.match(r"SET (.*?)(?: REMOVE .*)?$", update.expression)
    assert sets is not None, update.expression
    targets = re.findall(r"(?:^|, )(#n\d+) = ", sets.group(1))
    return [update.names[target] for target in targets]


def _finish(store: Store, status: JobStatus) -> None:
    result = ImportResult(rows_total=3, rows_imported=2, rows_unchanged=1, rows_rejected=0)
    store.finish(
        JOB_ID,
        owner="w1",
        status=status,
        now=NOW,
        progress_percentage=100,
        error="gone" if status is JobStatus.FAILED else None,
        result=None if status is JobStatus.FAILED else result,
    )


CHANGES: dict[str, Callable[[Store], object]] = {
    "claim": lambda store: store.claim(JOB_ID, owner="w1", lease_seconds=30, now=NOW),
    "finish COMPLETED": lambda store: _finish(store, JobStatus.COMPLETED),
    "finish FAILED": lambda store: _finish(store, JobStatus.FAILED),
    "finish CANCELLED": lambda store: _finish(store, JobStatus.CANCELLED),
    "cancel": lambda store: store.request_cancel(JOB_ID, now=NOW),
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_status_change_writes_the_status_after_everything_else(change: str) -> None:
    recording = RecordingStore()
    CHANGES[change](LeasedJobStore(recording, IMPORT_JOBS))  # type: ignore[arg-type]

    status_changes = [u for u in recording.updates if "status" in _set_attributes(u)]
    assert status_changes, f"{change} set no status"
    for update in status_changes:
        written = _set_attributes(update)
        assert written[-1] == "status", written
        assert len(written) > 1, written


def test_a_completed_job_writes_its_counts_before_its_status() -> None:
    recording = RecordingStore()
    _finish(LeasedJobStore(recording, IMPORT_JOBS), JobStatus.COMPLETED)  # type: ignore[arg-type]

    written = _set_attributes(recording.updates[0])
    counts = ["rows_total", "rows_imported", "rows_unchanged", "rows_rejected"]
    assert set(counts) | {"completed_at", "progress_percentage"} < set(written)
    assert max(written.index(name) for name in counts) < written.index("status")
