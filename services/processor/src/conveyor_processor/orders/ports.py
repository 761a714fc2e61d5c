"""What the order use case needs from the outside world, so tests can pass fakes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol

from conveyor_common.envelope import Envelope
from conveyor_common.orders import Order


class OrderRepository(Protocol):
    def save_order(self, order: Order, *, event_id: uuid.UUID, correlation_id: str) -> bool:
        """Store the order once; True when this call inserted it."""
        ...


class OrderReadModel(Protocol):
    """The order's item in the state table (conveyor_aws.order_items.OrderItems)."""

    def record_persisted(self, order: Order, *, at: datetime) -> None:
        """Write (or overwrite with the same content) the order's read model."""
        ...

    def record_pending(self, order: Order, *, last_error: str, at: datetime) -> None:
        """Record that storing the order is being retried, unless it is already persisted."""
        ...


class EventPublisher(Protocol):
    def publish(self, envelope: Envelope) -> str:
        """Publish one event; raises on any failure."""
        ...
