"""The service layer: accepting orders, reading them back, checking readiness.

Blocking (boto3, psycopg) and free of HTTP; the routes call it from worker threads.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

from botocore.exceptions import BotoCoreError, ClientError

from conveyor_common.envelope import Envelope, decode, encode, wrap
from conveyor_common.errors import FieldError, ValidationFailed
from conveyor_common.events import OrderSubmitted
from conveyor_common.log import get_logger
from conveyor_common.orders import Order, normalise_order
from conveyor_producer.auth import Principal
from conveyor_producer.errors import DependencyUnavailable, OrderNotFound
from conveyor_producer.idempotency import (
    Decision,
    IdempotencyRecord,
    Status,
    check_key,
    decide,
    expires_at,
    fingerprint,
)
from conveyor_producer.idempotency_store import IdempotencyStore
from conveyor_producer.order_body import decode_order_request
from conveyor_producer.order_records import ACCEPTED, OrderRecords
from conveyor_producer.ports import ItemStore, Publisher
from conveyor_producer.readiness import ReadinessCheck
from conveyor_producer.views import AcceptedOrder, OrderView, order_view, stored_order

STATE_STORE = "state store"
EVENT_BUS = "event bus"
# SNS refuses messages above 256 KiB; such an order could never be delivered.
MAX_EVENT_BYTES = 256 * 1024

logger = get_logger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


@contextmanager
def dependency(name: str) -> Iterator[None]:
    """AWS failures become DependencyUnavailable (503 with Retry-After)."""
    try:
        yield
    except (BotoCoreError, ClientError) as exc:
        raise DependencyUnavailable(name, str(exc)) from exc


class OrderService:
    def __init__(
        self,
        *,
        publisher: Publisher,
        store: ItemStore,
        clock: Callable[[], datetime] = utc_now,
        new_id: Callable[[], uuid.UUID] = uuid.uuid4,
    ) -> None:
        self._publisher = publisher
        self._records = OrderRecords(store)
        self._keys = IdempotencyStore(store)
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
        key = check_key(idempotency_key) if idempotency_key is not None else None
        now = self._clock()
        order = normalise_order(
            decode_order_request(body),
            order_id=self._new_id(),
            tenant_id=principal.tenant,
            submitted_at=now,
        )
        envelope = wrap(
            OrderSubmitted(order=order),
            tenant_id=principal.tenant,
            correlation_id=correlation_id,
            occurred_at=now,
        )
        encoded = encode(envelope)
        if len(encoded) > MAX_EVENT_BYTES:
            raise ValidationFailed([FieldError("items", "the order is too large to accept")])
        accepted = AcceptedOrder(order_id=str(order.order_id), status=ACCEPTED)
        if key is None:
            self._accept(order, envelope, forget_on_failure=True)
            return accepted

        record = IdempotencyRecord(
            fingerprint=fingerprint(order),
            order_id=accepted.order_id,
            event_id=str(envelope.event_id),
            envelope=encoded.decode(),
            status=Status.PENDING,
            response={"orderId": accepted.order_id, "status": accepted.status},
            ttl=expires_at(now),
        )
        with dependency(STATE_STORE):
            stored = self._keys.claim(principal.tenant, key, record, now=now)
        if stored is not None:
            first = AcceptedOrder(
                order_id=stored.response["orderId"], status=stored.response["status"]
            )
            if decide(stored, request_fingerprint=record.fingerprint) is Decision.REPLAY:
                logger.info("idempotent replay", order_id=first.order_id)
                return first
            envelope = decode(stored.envelope)
            assert isinstance(envelope.payload, OrderSubmitted)
            order, accepted = envelope.payload.order, first
            logger.info("republishing pending order", order_id=first.order_id)
        self._accept(order, envelope, forget_on_failure=False)
        try:
            with dependency(STATE_STORE):
                self._keys.mark_published(principal.tenant, key)
        except DependencyUnavailable:
            # The event is out; a retry would only republish the same event id.
            logger.warning("could not mark idempotency key published", order_id=accepted.order_id)
        return accepted

    def _accept(self, order: Order, envelope: Envelope, *, forget_on_failure: bool) -> None:
        """Record the request, then publish its event."""
        with dependency(STATE_STORE):
            self._records.record_accepted(order, accepted_at=envelope.occurred_at)
        try:
            with dependency(EVENT_BUS):
                self._publisher.publish(envelope)
        except DependencyUnavailable:
            if forget_on_failure:
                self._forget(order)
            raise
        logger.info("order accepted", order_id=str(order.order_id), event_id=str(envelope.event_id))

    def _forget(self, order: Order) -> None:
        # Without an idempotency key nobody can retry this order, so it must not look accepted.
        try:
            with dependency(STATE_STORE):
                self._records.forget_accepted(order.order_id)
        except DependencyUnavailable:
            logger.warning("could not forget unpublished order", order_id=str(order.order_id))

    def get(self, order_id: uuid.UUID, *, principal: Principal) -> OrderView:
        with dependency(STATE_STORE):
            item = self._records.latest(order_id)
        if item is None:
            raise OrderNotFound(f"order {order_id} not found")
        stored = stored_order(item)
        if stored.tenant_id != principal.tenant:
            raise OrderNotFound(f"order {order_id} not found")
        return order_view(stored)


class ReadinessService:
    def __init__(self, checks: Sequence[ReadinessCheck]) -> None:
        self.checks = list(checks)

    def report(self) -> dict[str, str]:
        """Every check's outcome; raises naming each failing dependency."""
        failures: dict[str, str] = {}
        for check in self.checks:
            try:
                check.check()
            except Exception as exc:  # any failure means not ready; the reason is reported
                failures[check.name] = f"{type(exc).__name__}: {exc}"
        if failures:
            detail = "; ".join(f"{name}: {reason}" for name, reason in sorted(failures.items()))
            raise DependencyUnavailable("not ready", detail)
        return {check.name: "ok" for check in self.checks}
