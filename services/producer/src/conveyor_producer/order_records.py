"""Order items in the state table.

ORDER#{id}/REQUEST is written here when an order is accepted; ORDER#{id}/ORDER
is the processor's read model (PENDING while storing it is retried, then
PERSISTED), and wins when present.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec

from conveyor_aws.order_keys import ORDER_SK, REQUEST_SK, order_pk
from conveyor_common.orders import Order
from conveyor_producer.ports import ItemStore

ACCEPTED = "ACCEPTED"


class OrderRecords:
    def __init__(self, store: ItemStore) -> None:
        self._store = store

    def record_accepted(self, order: Order, *, accepted_at: datetime) -> None:
        self._store.put(
            order_pk(order.order_id),
            REQUEST_SK,
            {
                "tenant_id": order.tenant_id,
                "status": ACCEPTED,
                "order": msgspec.to_builtins(order),
                "accepted_at": accepted_at.isoformat(),
            },
        )

    def forget_accepted(self, order_id: uuid.UUID) -> None:
        self._store.delete(order_pk(order_id), REQUEST_SK)

    def latest(self, order_id: uuid.UUID) -> dict[str, Any] | None:
        """The persisted order if the processor has it, else the accepted request."""
        pk = order_pk(order_id)
        return self._store.get(pk, ORDER_SK) or self._store.get(pk, REQUEST_SK)
