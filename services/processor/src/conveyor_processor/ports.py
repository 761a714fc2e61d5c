"""What the handlers need from the outside world, so tests can pass fakes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol

from conveyor_common.orders import Order


class OrderRepository(Protocol):
    def save_order(self, order: Order, *, event_id: uuid.UUID, correlation_id: str) -> bool:
        """Store the order once; True when this call inserted it."""
        ...


class OrderReadModel(Protocol):
    def save(self, order: Order, *, persisted_at: datetime) -> None:
        """Write (or overwrite with the same content) the order's read model."""
        ...
