"""Keeps a job's lease alive while its work is busy between progress reports: a query
before its first row, a file being assembled or stored."""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType

from conveyor_common.jobs import Job
from conveyor_common.log import get_logger

# Renewals per lease period: one missed renewal still leaves the lease alive.
RENEWALS_PER_LEASE = 3

logger = get_logger(__name__)


class LeaseKeeper:
    """Renews the lease on a background thread; the progress callback reads its flags,
    so a lost lease or a cancellation still stops the work at its next report."""

    def __init__(self, *, renew: Callable[[], Job | None], lease_seconds: float) -> None:
        self._renew = renew
        self._interval_seconds = lease_seconds / RENEWALS_PER_LEASE
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="job-lease", daemon=True)
        self.lost = False
        self.cancel_requested = False

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stopped.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stopped.wait(self._interval_seconds):
            try:
                job = self._renew()
            except Exception:
                # A missed renewal is survivable; the next one may well succeed.
                logger.warning("job lease renewal failed", exc_info=True)
                continue
            if job is None:
                self.lost = True
                return
            self.cancel_requested = job.cancel_requested
