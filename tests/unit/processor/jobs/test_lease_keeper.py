"""The lease keeper renews a job's lease while its work is silent, and flags what it hears."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from conveyor_common.jobs import Job, JobStatus
from conveyor_processor.jobs.lease_keeper import LeaseKeeper

NOW = datetime(2026, 6, 1, tzinfo=UTC)
# A lease this short renews every few milliseconds; the test waits on renewals, not time.
TINY_LEASE_SECONDS = 0.03
WAIT_SECONDS = 10


def a_job(*, cancel_requested: bool = False) -> Job:
    return Job(
        tenant_id="acme",
        status=JobStatus.PROCESSING,
        created_at=NOW,
        expires_at=NOW + timedelta(days=30),
        cancel_requested=cancel_requested,
    )


class Renewals:
    """Answers renewals from a script, then repeats its last answer."""

    def __init__(self, *answers: Job | Exception | None) -> None:
        self.answers = list(answers)
        self.calls = 0
        self.done = threading.Event()

    def __call__(self) -> Job | None:
        self.calls += 1
        answer = self.answers[min(self.calls, len(self.answers)) - 1]
        if self.calls >= len(self.answers):
            self.done.set()
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_the_lease_is_renewed_while_the_writer_is_silent() -> None:
    renewals = Renewals(a_job(), a_job(), a_job())
    with LeaseKeeper(renew=renewals, lease_seconds=TINY_LEASE_SECONDS) as keeper:
        assert renewals.done.wait(WAIT_SECONDS)
    assert renewals.calls >= 3
    assert not keeper.lost
    assert not keeper.cancel_requested


def test_a_failed_renewal_is_retried_and_a_cancellation_is_flagged() -> None:
    renewals = Renewals(ConnectionError("blip"), a_job(cancel_requested=True))
    with LeaseKeeper(renew=renewals, lease_seconds=TINY_LEASE_SECONDS) as keeper:
        assert renewals.done.wait(WAIT_SECONDS)
        deadline = time.monotonic() + WAIT_SECONDS
        while not keeper.cancel_requested and time.monotonic() < deadline:
            time.sleep(0.01)
    assert keeper.cancel_requested
    assert not keeper.lost


def test_a_lost_lease_stops_the_renewals() -> None:
    renewals = Renewals(a_job(), None)
    with LeaseKeeper(renew=renewals, lease_seconds=TINY_LEASE_SECONDS) as keeper:
        assert renewals.done.wait(WAIT_SECONDS)
        deadline = time.monotonic() + WAIT_SECONDS
        while not keeper.lost and time.monotonic() < deadline:
            time.sleep(0.01)
    assert keeper.lost
    assert renewals.calls == 2
