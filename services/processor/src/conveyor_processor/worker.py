"""The processor process: dramatiq actors on the processor SQS queue, one per event type."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import dramatiq

from conveyor_aws import clients
from conveyor_aws.broker.envelope_broker import EnvelopeBroker
from conveyor_aws.broker.liveness_recorder import LivenessRecorder
from conveyor_aws.broker.worker import run_worker
from conveyor_aws.delivery import DEFAULT_POLICY, RetryPolicy
from conveyor_aws.metrics.queues import QueueCollector, broker_queues
from conveyor_aws.metrics.server import serve_metrics
from conveyor_aws.tracing import start_tracing
from conveyor_common.envelope import decode
from conveyor_common.events import ExportRequested, FileUploaded, OrderSubmitted
from conveyor_common.log import configure_logging, get_logger
from conveyor_common.settings import load
from conveyor_processor.composition import Handler, UseCases, use_cases
from conveyor_processor.db import build_engine, database_instrumentors
from conveyor_processor.exports.temp_dir import OwnedTempDir
from conveyor_processor.job_metrics import JobsCollector, RowRatesCollector
from conveyor_processor.settings import ProcessorSettings

SERVICE = "processor"
# An export of the largest allowed size finishes well within this.
EXPORT_TIME_LIMIT_MS = 2 * 3600 * 1000
# So does an import of the largest presigned upload (1 GB).
IMPORT_TIME_LIMIT_MS = 2 * 3600 * 1000

logger = get_logger(__name__)


@dataclass(frozen=True)
class Actor:
    handle: Handler
    # Dramatiq's default (10 minutes) when None.
    time_limit_ms: int | None = None


def actor_table(cases: UseCases) -> dict[str, Actor]:
    """Which use case handles each event type the processor consumes.

    A busy export or import raises JobBusy, a Postpone: the broker sends the same envelope back
    once the holder's lease could have expired.
    """
    table = {OrderSubmitted.event_type: Actor(cases.orders)}
    if cases.exports is not None:
        table[ExportRequested.event_type] = Actor(cases.exports, time_limit_ms=EXPORT_TIME_LIMIT_MS)
    if cases.imports is not None:
        table[FileUploaded.event_type] = Actor(cases.imports, time_limit_ms=IMPORT_TIME_LIMIT_MS)
    return table


def build_broker(
    settings: ProcessorSettings,
    actors: Mapping[str, Actor],
    *,
    retry_policy: RetryPolicy = DEFAULT_POLICY,
    liveness: LivenessRecorder | None = None,
) -> EnvelopeBroker:
    """The broker with the given actors, all on the processor queue."""
    broker = EnvelopeBroker(
        service=SERVICE,
        visibility_timeout_seconds=settings.visibility_timeout_seconds,
        retry_policy=retry_policy,
        liveness=liveness,
    )
    for event_type, actor in actors.items():
        _declare(broker, event_type, actor, queue_name=settings.processor_queue)
    return broker


def _declare(broker: EnvelopeBroker, event_type: str, actor: Actor, *, queue_name: str) -> None:
    def deliver(envelope_json: str) -> None:
        actor.handle(decode(envelope_json))

    options: dict[str, Any] = {}
    if actor.time_limit_ms is not None:
        options["time_limit"] = actor.time_limit_ms
    declare = dramatiq.actor(actor_name=event_type, queue_name=queue_name, broker=broker, **options)
    declare(deliver)


def claim_temp_dir(settings: ProcessorSettings) -> OwnedTempDir:
    """Before any export runs: clear what killed processors left, and send this
    process's temporary files into a directory that it alone owns."""
    temp_dir = OwnedTempDir.claim(settings.export_temp_dir).use_as_tempdir()
    logger.info(
        "export temp dir claimed",
        path=str(temp_dir.path),
        stale_removed=[str(path) for path in temp_dir.removed],
    )
    return temp_dir


def main() -> None:
    settings = load(ProcessorSettings)
    configure_logging(SERVICE, settings)
    # Before the engine: SQLAlchemy's instrumentation traces the engines made after it.
    start_tracing(SERVICE, settings, instrumentors=database_instrumentors())
    clients.configure(clients.WORKER_PROFILE.overridden_by(settings))
    temp_dir = claim_temp_dir(settings)
    engine = build_engine(settings.database_url)
    broker = build_broker(
        settings,
        actor_table(use_cases(settings, engine=engine)),
        liveness=LivenessRecorder(settings.liveness_path(SERVICE)),
    )
    serve_metrics(
        settings,
        QueueCollector(broker_queues(broker)),
        JobsCollector(engine),
        RowRatesCollector(),
    )
    try:
        run_worker(broker, threads=settings.worker_threads, queues=[settings.processor_queue])
    finally:
        engine.dispose()
        temp_dir.release()
