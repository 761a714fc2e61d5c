"""The persisted order as the producer reads it back: one DynamoDB item per order."""

from __future__ import annotations

from datetime import datetime

import msgspec

from conveyor_aws.order_keys import ORDER_SK, order_pk
from conveyor_aws.state_store import StateStore
from conveyor_common.orders import Order
from conveyor_processor.models import PERSISTED

# Storing the order failed transiently and is being retried.
PENDING = "PENDING"


class DynamoOrderReadModel:
    def __init__(self, store: StateStore) -> None:
        self._store = store

    def save(self, order: Order, *, persisted_at: datetime) -> None:
        # A plain put: a redelivered event rewrites the same order, which is harmless.
        self._store.put(
            order_pk(order.order_id),
            ORDER_SK,
            {
                "tenant_id": order.tenant_id,
                "status": PERSISTED,
                "order": msgspec.to_builtins(order),
                "persisted_at": persisted_at.isoformat(),
            },
        )

    def mark_pending(self, order: Order, *, last_error: str, at: datetime) -> None:
        # Conditional: a concurrent delivery may have persisted it meanwhile.
        self._store.put_unless(
            order_pk(order.order_id),
            ORDER_SK,
            {
                "tenant_id": order.tenant_id,
                "status": PENDING,
                "order": msgspec.to_builtins(order),
                "last_error": last_error,
                "last_error_at": at.isoformat(),
            },
            name="status",
            value=PERSISTED,
        )
