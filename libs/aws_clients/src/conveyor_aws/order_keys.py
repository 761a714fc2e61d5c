"""Keys of an order's items in the state table, shared by the services that write them:
the producer records the accepted request, the processor the persisted read model."""

from __future__ import annotations

import uuid

# The persisted order (processor); it wins over the accepted request when both exist.
ORDER_SK = "ORDER"
# The accepted request (producer), written before the event is published.
REQUEST_SK = "REQUEST"


def order_pk(order_id: uuid.UUID) -> str:
    return f"ORDER#{order_id}"
