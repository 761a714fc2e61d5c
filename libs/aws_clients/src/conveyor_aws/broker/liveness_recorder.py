"""What a worker's consumer records after each pass that did not fail
(the record and its check: conveyor_aws.broker.liveness)."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

from conveyor_aws.broker.liveness import RECORD_INTERVAL_SECONDS, write_record
from conveyor_common.clock import Clock, utc_now
from conveyor_common.log import get_logger

logger = get_logger(__name__)


class LivenessRecorder:
    """Records the consumer's passes in a file; without a path, in memory only (tests)."""

    def __init__(self, path: Path | None = None, *, clock: Clock = utc_now) -> None:
        self.path = path
        # Set at the first record: the worker has received from its queue.
        self.consuming = threading.Event()
        self._clock = clock
        self._last: datetime | None = None

    def reset(self) -> None:
        """At start: what an earlier process recorded must not vouch for this one."""
        if self.path is not None:
            self.path.unlink(missing_ok=True)

    def record(self) -> None:
        now = self._clock()
        if self._last is not None and (now - self._last).total_seconds() < RECORD_INTERVAL_SECONDS:
            return
        self._last = now
        if self.path is not None:
            _write(self.path, now)
        # Only once written: whoever waits for it may read the file at once.
        self.consuming.set()


def _write(path: Path, now: datetime) -> None:
    try:
        write_record(path, now)
    except OSError:
        # The health check then fails, and says why; the consumer goes on.
        logger.warning("could not record liveness", path=str(path), exc_info=True)
