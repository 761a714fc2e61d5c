"""The processor's use cases, composed from the ports; no transport in here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from conveyor_common.envelope import Envelope
from conveyor_common.events import OrderSubmitted
from conveyor_common.log import correlation, get_logger
from conveyor_processor.ports import OrderReadModel, OrderRepository

logger = get_logger(__name__)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def handle_order_submitted(
    envelope: Envelope,
    *,
    orders: OrderRepository,
    read_model: OrderReadModel,
    clock: Callable[[], datetime] = _utc_now,
) -> None:
    """Persist the order (system of record first), then publish it to the read model.

    Safe to run again for the same event: the repository keeps one order per id,
    and the read model is written on every delivery so a crash between the two
    writes heals on the retry.
    """
    payload = envelope.payload
    if not isinstance(payload, OrderSubmitted):
        raise TypeError(f"expected an OrderSubmitted envelope, got {envelope.event_type}")
    order = payload.order
    with correlation(envelope.correlation_id, event_id=str(envelope.event_id)):
        inserted = orders.save_order(
            order, event_id=envelope.event_id, correlation_id=envelope.correlation_id
        )
        read_model.save(order, persisted_at=clock())
        logger.info(
            "order persisted" if inserted else "order already persisted",
            order_id=str(order.order_id),
            tenant_id=order.tenant_id,
            duplicate=not inserted,
        )
