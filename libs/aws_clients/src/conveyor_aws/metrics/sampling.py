"""A value read at most once per interval: a scrape (every few seconds, from each
Prometheus replica) must not turn into as many reads of SQS or the database."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from conveyor_common.log import get_logger

T = TypeVar("T")

# SQS attributes and the job catalogue are read at most this often, whatever the scrapes.
SAMPLE_INTERVAL_SECONDS = 15.0

logger = get_logger(__name__)


class Sampled(Generic[T]):
    """The last value `read` returned, read again once it is `interval_seconds` old.

    A read that fails gives `empty` until the next interval: the scrape shows no
    series rather than stale ones, and the failing source is not asked again sooner.
    """

    def __init__(
        self,
        read: Callable[[], T],
        *,
        empty: T,
        interval_seconds: float = SAMPLE_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read = read
        self._empty = empty
        self._interval_seconds = interval_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._value = empty
        self._read_at: float | None = None

    def get(self) -> T:
        with self._lock:
            now = self._clock()
            if self._read_at is None or now - self._read_at >= self._interval_seconds:
                self._read_at = now
                self._value = self._read_or_empty()
            return self._value

    def _read_or_empty(self) -> T:
        try:
            return self._read()
        except Exception:
            logger.warning("could not sample a metric", exc_info=True)
            return self._empty
