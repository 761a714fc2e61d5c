"""The processor process: dramatiq actors on the processor SQS queue."""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Callable

import dramatiq
from sqlalchemy import Engine

from conveyor_aws import clients
from conveyor_aws.broker.envelope_broker import EnvelopeBroker
from conveyor_aws.broker.worker import run_worker
from conveyor_aws.delivery import DEFAULT_POLICY, RetryPolicy
from conveyor_aws.export_state import ExportStateStore
from conveyor_aws.order_items import OrderItems
from conveyor_aws.publisher import EventPublisher
from conveyor_aws.state_store import StateStore
from conveyor_common.envelope import decode
from conveyor_common.events import ExportRequested, OrderSubmitted
from conveyor_common.log import configure_logging, get_logger
from conveyor_common.settings import load
from conveyor_processor.db import build_engine
from conveyor_processor.exports.announcer import SnsAnnouncer
from conveyor_processor.exports.catalogue import SqlExportCatalogue
from conveyor_processor.exports.files import S3ExportFiles
from conveyor_processor.exports.handlers import ExportServices, handle_export_requested
from conveyor_processor.exports.render import PostgresRenderer
from conveyor_processor.exports.temp_dir import OwnedTempDir
from conveyor_processor.handlers import handle_order_submitted
from conveyor_processor.ports import EventPublisher as EventPublisherPort
from conveyor_processor.ports import OrderReadModel, OrderRepository
from conveyor_processor.repository import SqlOrderRepository
from conveyor_processor.settings import ProcessorSettings

SERVICE = "processor"
# An export of the largest allowed size finishes well within this.
EXPORT_TIME_LIMIT_MS = 2 * 3600 * 1000
# Unique per process, so a restarted worker never mistakes a dead one's lease for its own.
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

logger = get_logger(__name__)


def lease_owner() -> str:
    return f"{WORKER_ID}/{threading.current_thread().name}"


def export_services(settings: ProcessorSettings, *, engine: Engine) -> ExportServices:
    """The export use case's adapters; the lease owner is the calling thread."""
    store = StateStore(table=settings.state_table)
    return ExportServices(
        states=ExportStateStore(store),
        catalogue=SqlExportCatalogue(engine),
        files=S3ExportFiles(
            bucket=settings.exports_bucket, part_size_bytes=settings.export_part_size_bytes
        ),
        render=PostgresRenderer(settings.database_url),
        announcer=SnsAnnouncer(
            publisher=EventPublisher(topic_arn=settings.events_topic_arn), store=store
        ),
        owner=lease_owner(),
        lease_seconds=settings.export_lease_seconds,
    )


def build_broker(
    settings: ProcessorSettings,
    *,
    orders: OrderRepository,
    read_model: OrderReadModel,
    events: EventPublisherPort | None = None,
    exports: Callable[[], ExportServices] | None = None,
    retry_policy: RetryPolicy = DEFAULT_POLICY,
) -> EnvelopeBroker:
    """The broker with one actor per event type the processor handles.

    `events` publishes OrderPersisted (by default to the settings' topic).
    `exports` gives each export delivery its adapters (the lease owner is the
    calling thread); without it, only orders are handled.
    """
    broker = EnvelopeBroker(
        visibility_timeout_seconds=settings.visibility_timeout_seconds,
        retry_policy=retry_policy,
    )
    publisher = events or EventPublisher(topic_arn=settings.events_topic_arn)

    @dramatiq.actor(
        actor_name=OrderSubmitted.event_type, queue_name=settings.processor_queue, broker=broker
    )
    def order_submitted(envelope_json: str) -> None:
        handle_order_submitted(
            decode(envelope_json), orders=orders, read_model=read_model, events=publisher
        )

    if exports is not None:
        services_for_thread = exports

        @dramatiq.actor(
            actor_name=ExportRequested.event_type,
            queue_name=settings.processor_queue,
            broker=broker,
            time_limit=EXPORT_TIME_LIMIT_MS,
        )
        def export_requested(envelope_json: str) -> None:
            # A busy export raises ExportBusy, a Postpone: the broker sends the same
            # envelope back once the holder's lease could have expired.
            handle_export_requested(decode(envelope_json), services=services_for_thread())

    return broker


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
    clients.configure(clients.WORKER_PROFILE.overridden_by(settings))
    temp_dir = claim_temp_dir(settings)
    engine = build_engine(settings.database_url)
    broker = build_broker(
        settings,
        orders=SqlOrderRepository(engine),
        read_model=OrderItems(StateStore(table=settings.state_table)),
        exports=lambda: export_services(settings, engine=engine),
    )
    try:
        run_worker(broker, threads=settings.worker_threads, queues=[settings.processor_queue])
    finally:
        engine.dispose()
        temp_dir.release()
