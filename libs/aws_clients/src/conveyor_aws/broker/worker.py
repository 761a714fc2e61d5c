"""The run loop of a worker process."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterable

import dramatiq

from conveyor_aws.broker.envelope_broker import EnvelopeBroker
from conveyor_common.log import get_logger

logger = get_logger(__name__)


def run_worker(broker: EnvelopeBroker, *, threads: int, queues: Iterable[str]) -> None:
    """Consume until SIGTERM or SIGINT, then finish in-flight messages and exit."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    worker = dramatiq.Worker(broker, queues=set(queues), worker_threads=threads)
    worker.start()
    logger.info("worker started", threads=threads)
    stop.wait()
    logger.info("stopping: finishing in-flight messages")
    worker.stop()
    logger.info("worker stopped")
