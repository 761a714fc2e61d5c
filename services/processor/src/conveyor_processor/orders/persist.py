"""The order use case: store a submitted order, then announce it; no transport in here."""

from __future__ import annotations

from datetime import datetime

from conveyor_aws.failures import FailureKind, classify
from conveyor_common.clock import Clock, utc_now
from conveyor_common.envelope import Envelope, wrap
from conveyor_common.events import OrderPersisted, OrderSubmitted, persisted_event_id
from conveyor_common.log import correlation, get_logger
from conveyor_common.orders import Order
from conveyor_processor.orders.ports import EventPublisher, OrderReadModel, OrderRepository

logger = get_logger(__name__)


def handle_order_submitted(
    envelope: Envelope,
    *,
    orders: OrderRepository,
    read_model: OrderReadModel,
    events: EventPublisher,
    clock: Clock = utc_now,
) -> None:
    """Persist the order (system of record first), write its read model, then announce
    it with OrderPersisted, which is what the customer's confirmation waits for.

    Safe to run again for the same event: the repository keeps one order per id, and
    the read model and OrderPersisted (always with the same event id) are written on
    every delivery, so a crash between any two steps heals on the retry. A transient
    failure marks the order PENDING in the read model before it is retried.
    """
    order = envelope.of(OrderSubmitted).payload.order
    with correlation(envelope.correlation_id, event_id=str(envelope.event_id)):
        inserted = _save(order, envelope, orders=orders, read_model=read_model, clock=clock)
        persisted_at = clock()
        read_model.record_persisted(order, at=persisted_at)
        events.publish(_persisted(order, envelope, at=persisted_at))
        logger.info(
            "order persisted" if inserted else "order already persisted",
            order_id=str(order.order_id),
            tenant_id=order.tenant_id,
            duplicate=not inserted,
        )


def _save(
    order: Order,
    envelope: Envelope,
    *,
    orders: OrderRepository,
    read_model: OrderReadModel,
    clock: Clock,
) -> bool:
    try:
        return orders.save_order(
            order, event_id=envelope.event_id, correlation_id=envelope.correlation_id
        )
    except Exception as exc:
        _mark_pending_if_transient(exc, order, read_model=read_model, clock=clock)
        raise


def _persisted(order: Order, envelope: Envelope, *, at: datetime) -> Envelope:
    return wrap(
        OrderPersisted(order=order),
        tenant_id=envelope.tenant_id,
        correlation_id=envelope.correlation_id,
        event_id=persisted_event_id(order.order_id),
        occurred_at=at,
    )


def _mark_pending_if_transient(
    exc: Exception,
    order: Order,
    *,
    read_model: OrderReadModel,
    clock: Clock,
) -> None:
    """Best effort: the retry matters, the PENDING mark only informs the caller."""
    classification = classify(exc)
    if classification.kind is not FailureKind.TRANSIENT:
        return
    last_error = f"{classification.label} ({type(classification.cause).__name__}); retrying"
    try:
        read_model.record_pending(order, last_error=last_error, at=clock())
    except Exception:
        logger.warning(
            "could not mark the order pending", order_id=str(order.order_id), exc_info=True
        )
