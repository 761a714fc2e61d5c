"""An order's items in the state table, written by two services and read by the API.

ORDER#{id}/REQUEST is the producer's record of an accepted order, written before its
event is published; ORDER#{id}/ORDER is the processor's read model (PENDING while storing
it is retried, then PERSISTED) and wins when present. Both have the one shape below.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import msgspec

from conveyor_aws.state_store import ItemStore
from conveyor_common.orders import Order

# The persisted order (processor); it wins over the accepted request when both exist.
ORDER_SK = "ORDER"
# The accepted request (producer), written before the event is published.
REQUEST_SK = "REQUEST"


class OrderState(StrEnum):
    ACCEPTED = "ACCEPTED"  # published, not yet stored
    PENDING = "PENDING"  # storing it failed transiently and is being retried
    PERSISTED = "PERSISTED"  # in the system of record


def order_pk(order_id: uuid.UUID) -> str:
    return f"ORDER#{order_id}"


class OrderRecord(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The one shape of both items, whichever service wrote it."""

    tenant_id: str
    status: OrderState
    order: Order
    # When the order was accepted (REQUEST), stored (ORDER, PERSISTED), or last failed
    # to be stored (ORDER, PENDING), with why.
    accepted_at: datetime | None = None
    persisted_at: datetime | None = None
    last_error_at: datetime | None = None
    last_error: str | None = None


class OrderItems:
    def __init__(self, store: ItemStore) -> None:
        self._store = store

    async def record_accepted(self, order: Order, *, at: datetime) -> None:
        # Awaited: the API accepts orders on its event loop (conveyor_producer.orders).
        record = OrderRecord(
            tenant_id=order.tenant_id, status=OrderState.ACCEPTED, order=order, accepted_at=at
        )
        await self._store.put_async(order_pk(order.order_id), REQUEST_SK, _item(record))

    def forget_accepted(self, order_id: uuid.UUID) -> None:
        self._store.delete(order_pk(order_id), REQUEST_SK)

    def record_persisted(self, order: Order, *, at: datetime) -> None:
        # A plain put: a redelivered event rewrites the same order, which is harmless.
        record = OrderRecord(
            tenant_id=order.tenant_id, status=OrderState.PERSISTED, order=order, persisted_at=at
        )
        self._store.put(order_pk(order.order_id), ORDER_SK, _item(record))

    def record_pending(self, order: Order, *, last_error: str, at: datetime) -> None:
        # Conditional: a concurrent delivery may have persisted it meanwhile.
        record = OrderRecord(
            tenant_id=order.tenant_id,
            status=OrderState.PENDING,
            order=order,
            last_error_at=at,
            last_error=last_error,
        )
        self._store.put_unless(
            order_pk(order.order_id),
            ORDER_SK,
            _item(record),
            name="status",
            value=OrderState.PERSISTED.value,
        )

    def latest(self, order_id: uuid.UUID) -> OrderRecord | None:
        """The processor's item if it has one, else the accepted request."""
        pk = order_pk(order_id)
        item = self._store.get(pk, ORDER_SK) or self._store.get(pk, REQUEST_SK)
        return msgspec.convert(item, OrderRecord) if item is not None else None


def _item(record: OrderRecord) -> dict[str, Any]:
    item: dict[str, Any] = msgspec.to_builtins(record)
    return item
