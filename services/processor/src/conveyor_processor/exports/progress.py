"""When to report an export's progress: at least every 2 s, and at each 5% of the rows."""

from __future__ import annotations

from dataclasses import dataclass

PROGRESS_INTERVAL_SECONDS = 2.0
PROGRESS_STEP_PERCENT = 5
# Until the file is stored the job is not done, whatever the rows say.
MAX_RUNNING_PERCENT = 99


def percentage(rows_so_far: int, estimated_row_count: int) -> int:
    if estimated_row_count <= 0:
        return 0
    return min(MAX_RUNNING_PERCENT, rows_so_far * 100 // estimated_row_count)


@dataclass
class ProgressThrottle:
    """Decides which progress calls become a heartbeat; times are monotonic seconds."""

    estimated_row_count: int
    started_at_seconds: float
    interval_seconds: float = PROGRESS_INTERVAL_SECONDS
    step_percent: int = PROGRESS_STEP_PERCENT

    def __post_init__(self) -> None:
        self._last_beat_seconds = self.started_at_seconds
        self._last_step = 0

    def due(self, rows_so_far: int, *, now_seconds: float) -> bool:
        step = percentage(rows_so_far, self.estimated_row_count) // self.step_percent
        if step > self._last_step or now_seconds - self._last_beat_seconds >= self.interval_seconds:
            self._last_step = max(step, self._last_step)
            self._last_beat_seconds = now_seconds
            return True
        return False
