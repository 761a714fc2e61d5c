"""The persisted order as the producer reads it back: one DynamoDB item per order."""

from __future__ import annotations

from datetime import datetime

import msgspec

from conveyor_aws.order_keys import ORDER_SK, order_pk
from conveyor_aws.state_store import StateStore
from conveyor_common.orders import Order
from conveyor_processor.models import PERSISTED


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
