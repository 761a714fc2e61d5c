"""The service layer: accepting orders and reading them back.

Blocking (boto3, psycopg) and free of HTTP; the routes call it from worker threads.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from conveyor_aws.order_items import OrderItems, OrderState
from conveyor_aws.state_store import ItemStore
from conveyor_common.clock import Clock, utc_now
from conveyor_common.envelope import Envelope
from conveyor_common.events import OrderSubmitted
from conveyor_common.orders import Order, normalise_order
from conveyor_producer.auth import Principal
from conveyor_producer.dependencies import STATE_STORE, dependency
from conveyor_producer.errors import OrderNotFound
from conveyor_producer.idempotency import fingerprint
from conveyor_producer.idempotency_store import ORDERS, IdempotencyStore
from conveyor_producer.ports import Publisher
from conveyor_producer.request_body import decode_order_request
from conveyor_producer.submission import Acceptance, Attempt, Submission, Submitter
from conveyor_producer.views import AcceptedOrder, OrderView, order_view

# Generated per attempt, so they must not make two identical orders differ.
ORDER_VOLATILE_FIELDS = ("order_id", "submitted_at")


def _submitted_order(envelope: Envelope) -> Order:
    return envelope.of(OrderSubmitted).payload.order


class OrderService:
    def __init__(
        self,
        *,
        publisher: Publisher,
        store: ItemStore,
        clock: Clock = utc_now,
        new_id: Callable[[], uuid.UUID] = uuid.uuid4,
    ) -> None:
        self._records = OrderItems(store)
        self._submitter = Submitter(keys=IdempotencyStore(store, scope=ORDERS), publisher=publisher)
        self._acceptance = Acceptance(
            record=lambda envelope: self._records.record_accepted(
                _submitted_order(envelope), at=envelope.occurred_at
            ),
            withdraw=lambda envelope: self._records.forget_accepted(
                _submitted_order(envelope).order_id
            ),
            bulky_field="items",
        )
        self._clock = clock
        self._new_id = new_id

    def submit(
        self,
        body: bytes,
        *,
        principal: Principal,
        correlation_id: str,
        idempotency_key: str | None = None,
    ) -> AcceptedOrder:
        attempt = Attempt.of(
            tenant_id=principal.tenant,
            caller=principal.sub,
            correlation_id=correlation_id,
            idempotency_key=idempotency_key,
            now=self._clock(),
        )
        order = normalise_order(
            decode_order_request(body),
            order_id=self._new_id(),
            tenant_id=principal.tenant,
            submitted_at=attempt.now,
        )
        accepted = AcceptedOrder(order_id=str(order.order_id), status=OrderState.ACCEPTED.value)
        return self._submitter.submit(
            lambda: Submission(OrderSubmitted(order=order), accepted.order_id, accepted),
            self._acceptance,
            attempt,
            request_fingerprint=fingerprint(order, ignore=ORDER_VOLATILE_FIELDS),
            answer_type=AcceptedOrder,
        )

    def get(self, order_id: uuid.UUID, *, principal: Principal) -> OrderView:
        with dependency(STATE_STORE):
            stored = self._records.latest(order_id)
        if stored is None:
            raise OrderNotFound(f"order {order_id} not found")
        if stored.tenant_id != principal.tenant:
            raise OrderNotFound(f"order {order_id} not found")
        return order_view(stored)
