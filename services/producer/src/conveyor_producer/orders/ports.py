"""What the orders feature needs from the outside world, as protocols the fakes also satisfy."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Protocol

from conveyor_aws.order_items import OrderRecord
from conveyor_aws.state_store import ItemStore
from conveyor_common.clock import Clock
from conveyor_common.orders import Order
from conveyor_producer.acceptance.ports import Publisher


class OrderRecords(Protocol):
    """The order's items in the state table (conveyor_aws.order_items.OrderItems)."""

    async def record_accepted(self, order: Order, *, at: datetime) -> None: ...

    def forget_accepted(self, order_id: uuid.UUID) -> None: ...

    def latest(self, order_id: uuid.UUID) -> OrderRecord | None: ...


class StoredOrders(Protocol):
    """Orders in PostgreSQL, the system of record (conveyor_producer.orders.stored)."""

    def find(self, order_id: uuid.UUID) -> OrderRecord | None: ...


class OrderAdapters(Protocol):
    """The adapters the orders feature is built from."""

    @property
    def publisher(self) -> Publisher: ...

    @property
    def state_table(self) -> ItemStore:
        """Where the Idempotency-Key records are kept."""
        ...

    @property
    def order_records(self) -> OrderRecords: ...

    @property
    def stored_orders(self) -> StoredOrders:
        """Where imported orders are read: only PostgreSQL has them."""
        ...

    @property
    def clock(self) -> Clock: ...
