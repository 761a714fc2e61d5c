"""The upload window's rules, and its record's two ends refusing each other."""

from __future__ import annotations

import uuid
from datetime import timedelta

from tests.unit.producer.conftest import START, FakeStore, import_job

from conveyor_common.jobs import JobStatus
from conveyor_producer.imports.ports import UploadLimits
from conveyor_producer.imports.upload_window import (
    UploadWindow,
    WindowState,
    as_abandoned,
    not_completed_reason,
    opened_window,
)
from conveyor_producer.imports.window_store import UploadWindows

LIMITS = UploadLimits(presigned_post_seconds=600, presigned_grace_seconds=60)
KEPT_UNTIL = START + timedelta(days=30)


def window() -> UploadWindow:
    return opened_window(now=START, limits=LIMITS, kept_until=KEPT_UNTIL)


def test_a_window_closes_a_grace_after_the_post_expires() -> None:
    opened = window()

    assert opened.post_expires_at == START + timedelta(minutes=10)
    assert opened.closes_at == START + timedelta(minutes=11)
    assert not opened.is_overdue(now=opened.closes_at - timedelta(microseconds=1))
    assert opened.is_overdue(now=opened.closes_at)
    assert not opened.ended(WindowState.COMPLETED).is_overdue(now=opened.closes_at)


def test_an_abandoned_file_failed_when_its_window_closed_and_says_why() -> None:
    job = import_job()

    failed = as_abandoned(job, window())

    assert failed.status is JobStatus.FAILED
    assert failed.error == "the upload was not completed before 2024-05-17T09:40:00Z"
    assert failed.error == not_completed_reason(window())
    assert failed.completed_at == window().closes_at
    assert job.status is JobStatus.QUEUED


def test_a_completed_window_never_expires_and_an_expired_one_never_completes() -> None:
    windows = UploadWindows(FakeStore())
    completed, expired = uuid.uuid4(), uuid.uuid4()
    for file_id in (completed, expired):
        windows.open(file_id, window())

    assert windows.end(completed, window(), WindowState.COMPLETED)
    assert windows.end(completed, window(), WindowState.COMPLETED)
    assert not windows.end(completed, window(), WindowState.EXPIRED)
    assert windows.end(expired, window(), WindowState.EXPIRED)
    assert not windows.end(expired, window(), WindowState.COMPLETED)

    assert windows.get(completed) == window().ended(WindowState.COMPLETED)
    assert windows.get(expired) == window().ended(WindowState.EXPIRED)
    assert windows.get(uuid.uuid4()) is None


def test_a_window_is_kept_as_long_as_its_file() -> None:
    store = FakeStore()
    file_id = uuid.uuid4()

    UploadWindows(store).open(file_id, window())

    [item] = store.items.values()
    assert item["ttl"] == int(KEPT_UNTIL.timestamp())
