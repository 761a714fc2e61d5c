"""When progress is reported, and what a report does: renew, record, or stop the work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from conveyor_common.jobs import Job, JobStatus
from conveyor_processor.jobs.failures import Cancelled, LeaseLost
from conveyor_processor.jobs.lease_keeper import LeaseKeeper
from conveyor_processor.jobs.progress import ProgressReporter, ProgressThrottle, percentage

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def test_progress_beats_at_each_five_percent_and_every_two_seconds() -> None:
    # given 1,000 estimated units, started at t=0
    throttle = ProgressThrottle(estimated_total=1_000, started_at_seconds=0.0)

    # when units arrive quickly, then only new 5% steps beat
    assert [throttle.due(done, now_seconds=0.1) for done in (10, 49, 50, 60, 99, 100)] == [
        False,
        False,
        True,
        False,
        False,
        True,
    ]
    # when time passes without a new step, then the interval beats, once
    assert throttle.due(101, now_seconds=2.2)
    assert not throttle.due(102, now_seconds=2.3)


def test_percentage_stops_short_of_complete_and_survives_a_low_estimate() -> None:
    assert percentage(50, 200) == 25
    assert percentage(500, 200) == 99
    assert percentage(5, 0) == 0


def a_job(*, cancel_requested: bool = False) -> Job:
    return Job(
        tenant_id="acme",
        status=JobStatus.PROCESSING,
        created_at=NOW,
        expires_at=NOW + timedelta(days=1),
        cancel_requested=cancel_requested,
    )


class Renewals:
    def __init__(self, answer: Job | None) -> None:
        self.answer = answer
        self.percentages: list[int] = []

    def __call__(self, progress_percentage: int) -> Job | None:
        self.percentages.append(progress_percentage)
        return self.answer


def a_reporter(renewals: Renewals, *, keeper: LeaseKeeper | None = None) -> ProgressReporter:
    seconds = iter(range(0, 10**6, 10))
    return ProgressReporter(
        throttle=ProgressThrottle(estimated_total=200, started_at_seconds=0.0),
        # Never entered: its flags are what the reporter reads.
        keeper=keeper or LeaseKeeper(renew=a_job, lease_seconds=60),
        renew=renewals,
        monotonic=lambda: float(next(seconds)),
    )


def test_a_due_report_renews_the_lease_with_the_percentage_done() -> None:
    renewals = Renewals(a_job())
    report = a_reporter(renewals)
    report(50)
    report(100)
    assert renewals.percentages == [25, 50]


@pytest.mark.parametrize(
    ("answer", "stop"),
    [(None, LeaseLost), (a_job(cancel_requested=True), Cancelled)],
    ids=["lease lost", "cancelled"],
)
def test_a_report_stops_the_work_when_the_renewal_says_so(
    answer: Job | None, stop: type[Exception]
) -> None:
    with pytest.raises(stop):
        a_reporter(Renewals(answer))(10)


@pytest.mark.parametrize(("flag", "stop"), [("lost", LeaseLost), ("cancel_requested", Cancelled)])
def test_what_the_lease_keeper_saw_stops_the_work_at_the_next_report(
    flag: str, stop: type[Exception]
) -> None:
    keeper = LeaseKeeper(renew=a_job, lease_seconds=60)
    setattr(keeper, flag, True)
    renewals = Renewals(a_job())
    with pytest.raises(stop):
        a_reporter(renewals, keeper=keeper)(10)
    assert renewals.percentages == []
