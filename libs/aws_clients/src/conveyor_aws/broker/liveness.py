"""A worker's liveness record, and the health check that reads it.

dramatiq keeps a worker process up when its consumer fails: the consumer thread
logs the error and starts again every 3 s, forever, so a running process proves
nothing. The consumer records each pass that did not fail instead
(`liveness_recorder`): a receive from SQS that answered, even with no message,
or a pass that waited for a worker thread to make room. A consumer that
cannot receive (its queue or DLQ missing, access denied, SQS unreachable)
records nothing, and the record ages.

`python -m conveyor_aws.broker.liveness <worker>` exits 0 only while the
worker's record is younger than LIVENESS_MAX_AGE_SECONDS; the container health
checks (docker-compose.yml, infra/terraform/envs/aws/services.tf) run it. It runs every
30 s in small containers, so it imports neither boto3 nor the logging set-up.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from pydantic import Field

from conveyor_common.clock import utc_now
from conveyor_common.settings import BaseConfig, load

# The workers that consume a queue (conveyor_aws.resources.SERVICE_EVENTS; not imported
# here, to keep the check light).
WORKERS = ("notifier", "processor")
# The record is rewritten at most this often: a busy consumer passes many times a second.
RECORD_INTERVAL_SECONDS = 1.0
# dramatiq's consumer long-polls for 1 s (its worker_timeout), then backs off for as long
# at most: a healthy consumer passes at least this often.
DRAMATIQ_PASS_SECONDS = 2.0
# The longest pass of a healthy consumer polling as long as SQS allows: a 20 s long poll
# and a 20 s back-off, plus a first receive attempt lost to its 30 s read timeout
# (conveyor_aws.clients.SQS_LONG_POLL_SECONDS, SQS_READ_TIMEOUT_SECONDS).
DEFAULT_MAX_AGE_SECONDS = 70.0
# Any shorter bound would fail a healthy consumer between two records.
MIN_MAX_AGE_SECONDS = DRAMATIQ_PASS_SECONDS + RECORD_INTERVAL_SECONDS
EXIT_ALIVE = 0
EXIT_NOT_ALIVE = 1


class LivenessConfig(BaseConfig):
    # Where the worker records its consumer's passes; unset, a file per worker in the
    # temp dir (each container runs one worker, so only local runs may need to set it).
    liveness_file: Path | None = None
    liveness_max_age_seconds: float = Field(default=DEFAULT_MAX_AGE_SECONDS, ge=MIN_MAX_AGE_SECONDS)

    def liveness_path(self, worker: str) -> Path:
        return self.liveness_file or Path(tempfile.gettempdir()) / f"conveyor-{worker}.alive"


def write_record(path: Path, recorded_at: datetime) -> None:
    """Record a pass; renamed into place, so that the check never reads half a file."""
    partial = path.with_name(f"{path.name}.partial")
    partial.write_text(recorded_at.isoformat(), encoding="utf-8")
    os.replace(partial, path)


def last_recorded(path: Path) -> datetime | None:
    """When the consumer last passed, or None if it never has (or the file is unreadable)."""
    try:
        recorded_at = datetime.fromisoformat(path.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None
    # Only an aware time compares with now; write_record never writes another.
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
    parser.add_argument("worker", choices=WORKERS)
    worker = parser.parse_args(argv).worker
    settings = load(LivenessConfig)
    path = settings.liveness_path(worker)
    found = problem(
        last_recorded(path), now=utc_now(), max_age_seconds=settings.liveness_max_age_seconds
    )
    if found is not None:
        print(f"{worker} not alive: {found} ({path})", file=sys.stderr)
        return EXIT_NOT_ALIVE
    print(f"{worker} alive")
    return EXIT_ALIVE


if __name__ == "__main__":
    raise SystemExit(main())
