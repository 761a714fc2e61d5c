"""The processor process: dramatiq actors on the processor SQS queue."""

from __future__ import annotations

import dramatiq

from conveyor_aws.broker import MAX_RETRIES, MIN_RETRY_BACKOFF_MS, EnvelopeBroker, run_worker
from conveyor_aws.state_store import StateStore
from conveyor_common.envelope import decode
from conveyor_common.events import OrderSubmitted
from conveyor_common.log import configure_logging, get_logger
from conveyor_common.settings import load
from conveyor_processor.db import build_engine
from conveyor_processor.handlers import handle_order_submitted
from conveyor_processor.ports import OrderReadModel, OrderRepository
from conveyor_processor.read_model import DynamoOrderReadModel
from conveyor_processor.repository import SqlOrderRepository
from conveyor_processor.settings import ProcessorSettings

SERVICE = "processor"

logger = get_logger(__name__)


def build_broker(
    settings: ProcessorSettings,
    *,
    orders: OrderRepository,
    read_model: OrderReadModel,
    max_retries: int = MAX_RETRIES,
    min_backoff_ms: int = MIN_RETRY_BACKOFF_MS,
) -> EnvelopeBroker:
    """The broker with one actor per event type the processor handles."""
    broker = EnvelopeBroker(
        visibility_timeout_seconds=settings.visibility_timeout_seconds,
        max_retries=max_retries,
        min_backoff_ms=min_backoff_ms,
    )

    @dramatiq.actor(
        actor_name=OrderSubmitted.event_type, queue_name=settings.processor_queue, broker=broker
    )
    def order_submitted(envelope_json: str) -> None:
        handle_order_submitted(decode(envelope_json), orders=orders, read_model=read_model)

    return broker


def main() -> None:
    settings = load(ProcessorSettings)
    configure_logging(SERVICE, settings)
    engine = build_engine(settings.database_url)
    broker = build_broker(
        settings,
        orders=SqlOrderRepository(engine),
        read_model=DynamoOrderReadModel(StateStore(table=settings.state_table)),
    )
    try:
        run_worker(broker, threads=settings.worker_threads, queues=[settings.processor_queue])
    finally:
        engine.dispose()
