"""The orders use cases: accepting an order and reading it back.

Free of HTTP. Accepting is a coroutine, run on the API's event loop: checking an order
is CPU only, and its AWS calls join the batch senders' calls (the acceptance package).
Reading one back blocks (boto3, PostgreSQL); the routes call it from handler threads.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from functools import partial

from conveyor_aws.order_items import OrderRecord, OrderState
from conveyor_aws.state_store import ItemStore
from conveyor_common.clock import Clock
from conveyor_common.envelope import Envelope
from conveyor_common.errors import ValidationFailed
from conveyor_common.events import OrderSubmitted
from conveyor_common.imports.model import is_imported_order_id
from conveyor_common.orders import Order, OrderRequest, normalise_order
from conveyor_producer.acceptance.idempotency import fingerprint
from conveyor_producer.acceptance.idempotency_store import IdempotencyStore, Scope
from conveyor_producer.acceptance.ports import Publisher
from conveyor_producer.acceptance.submitter import Acceptance, Attempt, Submission, Submitter
from conveyor_producer.orders.errors import InvalidOrder, OrderNotFound
from conveyor_producer.orders.ports import OrderRecords, StoredOrders
from conveyor_producer.orders.requests import decode_order_request
from conveyor_producer.orders.rules import ORDER_VOLATILE_FIELDS, is_visible
from conveyor_producer.orders.views import AcceptedOrder, OrderView, order_view
from conveyor_producer.outages import DATABASE, STATE_STORE, outages_of
from conveyor_producer.principal import Principal

# The orders' Idempotency-Key records: sk=ORDERS, naming the order_id they created.
ORDER_KEYS = Scope(sort_key="ORDERS", id_attribute="order_id")


@dataclass(frozen=True)
class CheckedOrder:
    """An order request that passed every rule, not yet accepted."""

    order: Order
    attempt: Attempt


def _submitted_order(envelope: Envelope) -> Order:
    return envelope.of(OrderSubmitted).payload.order


class OrderService:
    def __init__(
        self,
        *,
        publisher: Publisher,
        state_table: ItemStore,
        records: OrderRecords,
        stored: StoredOrders,
        clock: Clock,
    ) -> None:
        self._records = records
        self._stored = stored
        self._submitter = Submitter(
            keys=IdempotencyStore(state_table, scope=ORDER_KEYS), publisher=publisher
        )
        self._acceptance = Acceptance(
            record=self._record_accepted,
            withdraw=self._forget_accepted,
            bulky_field="items",
            invalid=InvalidOrder,
            # Preparing an order is building its event: a retry is found by the claim.
            look_up_first=False,
        )
        self._clock = clock

    def check(
        self,
        body: bytes,
        *,
        principal: Principal,
        correlation_id: str,
        idempotency_key: str | None = None,
    ) -> CheckedOrder:
        """The body decoded and normalised, with no I/O: 400 or 422 here, never later."""
        attempt = Attempt.by(
            principal,
            correlation_id=correlation_id,
            idempotency_key=idempotency_key,
            now=self._clock(),
        )
        return CheckedOrder(self._normalised(decode_order_request(body), attempt), attempt)

    async def accept(self, checked: CheckedOrder) -> AcceptedOrder:
        """Record and publish the order, or answer a retry as before."""
        order, attempt = checked.order, checked.attempt
        accepted = AcceptedOrder(order_id=str(order.order_id), status=OrderState.ACCEPTED.value)

        async def prepare() -> Submission[AcceptedOrder]:
            return Submission(OrderSubmitted(order=order), accepted.order_id, accepted)

        return await self._submitter.submit(
            prepare,
            self._acceptance,
            attempt,
            request_fingerprint=partial(fingerprint, order, ignore=ORDER_VOLATILE_FIELDS),
            answer_type=AcceptedOrder,
        )

    def get(self, order_id: uuid.UUID, *, principal: Principal) -> OrderView:
        stored = self._latest(order_id)
        if stored is None or not is_visible(principal, tenant_id=stored.tenant_id):
            raise OrderNotFound(f"order {order_id} not found")
        return order_view(stored)

    def _latest(self, order_id: uuid.UUID) -> OrderRecord | None:
        """An imported order from PostgreSQL, its only store; any other from the read
        model, which follows it from ACCEPTED to PERSISTED."""
        if is_imported_order_id(order_id):
            with outages_of(DATABASE):
                return self._stored.find(order_id)
        with outages_of(STATE_STORE):
            return self._records.latest(order_id)

    def _normalised(self, request: OrderRequest, attempt: Attempt) -> Order:
        try:
            return normalise_order(
                request,
                order_id=uuid.uuid4(),
                tenant_id=attempt.tenant_id,
                submitted_at=attempt.now,
            )
        except ValidationFailed as exc:
            raise InvalidOrder(exc.errors) from exc

    async def _record_accepted(self, envelope: Envelope) -> None:
        await self._records.record_accepted(_submitted_order(envelope), at=envelope.occurred_at)

    async def _forget_accepted(self, envelope: Envelope) -> None:
        await asyncio.to_thread(self._records.forget_accepted, _submitted_order(envelope).order_id)
