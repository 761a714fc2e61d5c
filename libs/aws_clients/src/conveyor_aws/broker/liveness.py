"""A worker's liveness: when its consumer last worked, in a file a health check reads.

dramatiq keeps a worker process up when its consumer fails: the consumer thread
logs the error and starts again every 3 s, forever, so a running process proves
nothing. The consumer records each pass that did not fail instead: a receive
from SQS that answered, even with no message, or a pass with every slot busy,
which has nothing to receive. A consumer that cannot receive (its queue or DLQ
missing, access denied, SQS unreachable) records nothing, and the record ages.

`python -m conveyor_aws.broker.liveness <service>` exits 0 only while the
record of that worker is younger than LIVENESS_MAX_AGE_SECONDS; the container
health checks (docker-compose.yml, infra/terraform/services.tf) run it.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from pydantic import Field

from conveyor_aws.clients import SQS_LONG_POLL_SECONDS, SQS_READ_TIMEOUT_SECONDS
from conveyor_aws.resources import SERVICE_EVENTS
from conveyor_common.clock import Clock, utc_now
from conveyor_common.log import get_logger
from conveyor_common.settings import BaseConfig, load

# The file is rewritten at most this often: a busy consumer passes many times a second.
RECORD_INTERVAL_SECONDS = 1.0
# A healthy consumer passes at least once per long poll (SQS_LONG_POLL_SECONDS at
# most; dramatiq polls for 1 s). The default bound also outlasts a poll whose first
# attempt hits its read timeout and whose retry waits a whole poll.
DEFAULT_MAX_AGE_SECONDS = float(SQS_READ_TIMEOUT_SECONDS + SQS_LONG_POLL_SECONDS + 10)
# Shorter bounds (tests) still span two record intervals.
MIN_MAX_AGE_SECONDS = 2 * RECORD_INTERVAL_SECONDS
EXIT_ALIVE = 0
EXIT_NOT_ALIVE = 1

logger = get_logger(__name__)


class LivenessConfig(BaseConfig):
    # Where the worker records its consumer's passes; unset, a file per service in the
    # temp dir (each container runs one worker, so only local runs need to set it).
    liveness_file: Path | None = None
    liveness_max_age_seconds: float = Field(default=DEFAULT_MAX_AGE_SECONDS, ge=MIN_MAX_AGE_SECONDS)

    def liveness_path(self, service: str) -> Path:
        return self.liveness_file or Path(tempfile.gettempdir()) / f"conveyor-{service}.alive"


class Liveness:
    """What a consumer records after each pass that did not fail.

    Without a path it records in memory only (`consuming`): a worker in a test.
    """

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
        self.consuming.set()
        if self.path is not None:
            _write(self.path, now)


def _write(path: Path, recorded_at: datetime) -> None:
    # Renamed into place, so that the check never reads a half-written file.
    partial = path.with_name(f"{path.name}.partial")
    try:
        partial.write_text(recorded_at.isoformat(), encoding="utf-8")
        os.replace(partial, path)
    except OSError:
        # The health check then fails, and says why; the consumer goes on.
        logger.warning("could not record liveness", path=str(path), exc_info=True)


def last_recorded(path: Path) -> datetime | None:
    """When the consumer last passed, or None if it never has (or the file is unreadable)."""
    try:
        recorded_at = datetime.fromisoformat(path.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None
    # Only an aware time compares with now; this module never writes another.
    return recorded_at if recorded_at.tzinfo is not None else None


def problem(recorded_at: datetime | None, *, now: datetime, max_age_seconds: float) -> str | None:
    """Why the worker is not alive, or None if it is."""
    if recorded_at is None:
        return "its consumer has not received from SQS yet"
    age_seconds = (now - recorded_at).total_seconds()
    if age_seconds > max_age_seconds:
        return (
            f"its consumer last worked {age_seconds:.1f} s ago "
            f"(more than {max_age_seconds:g} s): it cannot receive from SQS"
        )
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m conveyor_aws.broker.liveness",
        description="Exit 0 only if the worker's consumer received from SQS lately.",
    )
    parser.add_argument("service", choices=sorted(SERVICE_EVENTS))
    service = parser.parse_args(argv).service
    settings = load(LivenessConfig)
    path = settings.liveness_path(service)
    found = problem(
        last_recorded(path), now=utc_now(), max_age_seconds=settings.liveness_max_age_seconds
    )
    if found is not None:
        print(f"{service} not alive: {found} ({path})", file=sys.stderr)
        return EXIT_NOT_ALIVE
    print(f"{service} alive")
    return EXIT_ALIVE


if __name__ == "__main__":
    raise SystemExit(main())
