"""The run loop of a worker process."""

from __future__ import annotations

import gc
import signal
import threading
from collections.abc import Iterable

import dramatiq

from conveyor_aws.broker.envelope_broker import EnvelopeBroker
from conveyor_aws.broker.liveness_recorder import LivenessRecorder
from conveyor_common.log import get_logger

# How often the start looks whether the consumer has received yet, or a signal came.
FIRST_RECEIVE_POLL_SECONDS = 0.2

logger = get_logger(__name__)


def run_worker(broker: EnvelopeBroker, *, threads: int, queues: Iterable[str]) -> None:
    """Consume until SIGTERM or SIGINT, then finish in-flight messages and exit.

    "worker started" is logged once the consumer has received from SQS: dramatiq keeps
    the process up when its consumer fails, retrying every 3 s and logging each failure.
    """
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    queue_names = sorted(queues)
    broker.liveness.reset()
    # What start-up built lives as long as the process: frozen, full collections no
    # longer walk it. A busy handler (an import's batches) allocates fast enough to make
    # those collections frequent, and each one walked every module and client.
    gc.collect()
    gc.freeze()
    worker = dramatiq.Worker(broker, queues=set(queue_names), worker_threads=threads)
    worker.start()
    logger.info("worker threads up, receiving from SQS", threads=threads, queues=queue_names)
    if _until_consuming(broker.liveness, stop):
        logger.info("worker started", threads=threads, queues=queue_names)
    stop.wait()
    logger.info("stopping: finishing in-flight messages")
    worker.stop()
    logger.info("worker stopped")


def _until_consuming(liveness: LivenessRecorder, stop: threading.Event) -> bool:
    """Wait for the first receive that worked; False if told to stop first."""
    while not stop.is_set():
        if liveness.consuming.wait(FIRST_RECEIVE_POLL_SECONDS):
            return True
    return False
