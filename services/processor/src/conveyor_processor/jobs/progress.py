"""When a job reports its progress (at least every 2 s, and at each 5% of the work),
and the report itself: a lease renewal that also stops the work when it must stop."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from conveyor_common.jobs import Job
from conveyor_processor.jobs.failures import Cancelled, LeaseLost
from conveyor_processor.jobs.lease_keeper import LeaseKeeper
from conveyor_processor.jobs.rates import RowMeter

PROGRESS_INTERVAL_SECONDS = 2.0
PROGRESS_STEP_PERCENT = 5
# Until the result is stored the job is not done, whatever the count says.
MAX_RUNNING_PERCENT = 99


def percentage(done: int, estimated_total: int) -> int:
    if estimated_total <= 0:
        return 0
    return min(MAX_RUNNING_PERCENT, done * 100 // estimated_total)


@dataclass
class ProgressThrottle:
    """Decides which progress calls become a renewal; times are monotonic seconds."""

    estimated_total: int
    started_at_seconds: float
    interval_seconds: float = PROGRESS_INTERVAL_SECONDS
    step_percent: int = PROGRESS_STEP_PERCENT

    def __post_init__(self) -> None:
        self._last_beat_seconds = self.started_at_seconds
        self._last_step = 0

    def due(self, done: int, *, now_seconds: float) -> bool:
        step = percentage(done, self.estimated_total) // self.step_percent
        if step > self._last_step or now_seconds - self._last_beat_seconds >= self.interval_seconds:
            self._last_step = max(step, self._last_step)
            self._last_beat_seconds = now_seconds
            return True
        return False


class ProgressReporter:
    """The work's progress callback (units done so far): a throttled renewal that records
    the percentage, and raises Cancelled or LeaseLost when the work must stop. The rows
    done (the units, unless given) feed the job's rate when there is a meter."""

    def __init__(
        self,
        *,
        throttle: ProgressThrottle,
        keeper: LeaseKeeper,
        renew: Callable[[int], Job | None],
        monotonic: Callable[[], float],
        meter: RowMeter | None = None,
    ) -> None:
        self._throttle = throttle
        self._keeper = keeper
        self._renew = renew
        self._monotonic = monotonic
        self._meter = meter

    def __call__(self, done: int, /, *, rows: int | None = None) -> None:
        if self._keeper.lost:
            raise LeaseLost
        if self._keeper.cancel_requested:
            raise Cancelled
        now_seconds = self._monotonic()
        if self._meter is not None:
            self._meter.observe(done if rows is None else rows, now_seconds=now_seconds)
        if not self._throttle.due(done, now_seconds=now_seconds):
            return
        job = self._renew(percentage(done, self._throttle.estimated_total))
        if job is None:
            raise LeaseLost
        if job.cancel_requested:
            raise Cancelled
