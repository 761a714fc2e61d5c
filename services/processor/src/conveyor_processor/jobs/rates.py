"""The rows per second of the jobs running in this process, by kind, for
conveyor_job_rows_per_second.

Measured from the progress reports the work already makes, with no I/O: each running
job's rate is the rows it reported over its last window of at least a second. The
shared table is written once per window, so a report costs a clock reading and a
subtraction between windows.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

# A job's rate covers at least this long: shorter spans between two reports (a 5 %
# step of a small job, say) would make the rate jump with each batch.
RATE_WINDOW_SECONDS = 1.0


class RowRates:
    """The running jobs' rates; shared by every worker thread of the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # meter id -> (kind, rows per second)
        self._running: dict[int, tuple[str, float]] = {}

    @contextmanager
    def running(self, kind: str, *, started_at_seconds: float) -> Iterator[RowMeter]:
        """A job of `kind` runs until the block ends; its rate counts while it does."""
        meter = RowMeter(self, kind, started_at_seconds=started_at_seconds)
        self.record(meter, 0.0)
        try:
            yield meter
        finally:
            with self._lock:
                self._running.pop(id(meter), None)

    def by_kind(self) -> dict[str, float]:
        """The sum of the running jobs' rates of each kind that has one running."""
        totals: dict[str, float] = {}
        with self._lock:
            for kind, rate in self._running.values():
                totals[kind] = totals.get(kind, 0.0) + rate
        return totals

    def record(self, meter: RowMeter, rate: float) -> None:
        with self._lock:
            self._running[id(meter)] = (meter.kind, rate)


class RowMeter:
    """One running job's rate; fed by the thread that runs the job."""

    def __init__(self, rates: RowRates, kind: str, *, started_at_seconds: float) -> None:
        self.kind = kind
        self._rates = rates
        self._window_rows = 0
        self._window_started = started_at_seconds

    def observe(self, rows: int, *, now_seconds: float) -> None:
        """`rows` done so far, at `now_seconds` (monotonic)."""
        elapsed = now_seconds - self._window_started
        if elapsed < RATE_WINDOW_SECONDS:
            return
        self._rates.record(self, max(0, rows - self._window_rows) / elapsed)
        self._window_rows = rows
        self._window_started = now_seconds


# The process's own: the runners feed it and the worker's /metrics reads it.
ROW_RATES = RowRates()
