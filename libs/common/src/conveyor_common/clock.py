"""The one clock: every service reads wall time through this, so tests inject their own."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

# What use cases take to tell the time; tests pass a fake.
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)
