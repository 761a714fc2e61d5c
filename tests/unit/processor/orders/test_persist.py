"""The order handler against in-memory fakes of PostgreSQL and the read model."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import psycopg
import pytest
import sqlalchemy.exc
from structlog.testing import capture_logs

from conveyor_common.envelope import Envelope, Event, wrap
from conveyor_common.events import OrderPersisted, OrderSubmitted, persisted_event_id
from conveyor_common.log import bound_fields, merge_bound_fields
from conveyor_common.orders import Order, OrderItemRequest, OrderRequest, normalise_order
from conveyor_processor.orders.persist import handle_order_submitted

TENANT = "tenant-a"
PERSISTED_AT = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


class FakeOrders:
    def __init__(self, *, fail_with: Exception | None = None) -> None:
        self.orders: dict[uuid.UUID, Order] = {}
        self.event_ids: dict[uuid.UUID, uuid.UUID] = {}
        self.log_context: list[dict[str, Any]] = []
        self.fail_with = fail_with

    def save_order(self, order: Order, *, event_id: uuid.UUID, correlation_id: str) -> bool:
        self.log_context.append(bound_fields())
        if self.fail_with is not None:
            raise self.fail_with
        if order.order_id in self.orders:
            return False
        self.orders[order.order_id] = order
        self.event_ids[order.order_id] = event_id
        return True


class FakeReadModel:
    def __init__(self, *, pending_fails_with: Exception | None = None) -> None:
        self.writes: list[tuple[Order, datetime]] = []
        self.pending: list[tuple[Order, str]] = []
        self.pending_fails_with = pending_fails_with

    def record_persisted(self, order: Order, *, at: datetime) -> None:
        self.writes.append((order, at))

    def record_pending(self, order: Order, *, last_error: str, at: datetime) -> None:
        if self.pending_fails_with is not None:
            raise self.pending_fails_with
        self.pending.append((order, last_error))


class FakeEvents:
    def __init__(self, *, fail_with: Exception | None = None) -> None:
        self.published: list[Envelope] = []
        self.fail_with = fail_with

    def publish(self, envelope: Envelope) -> str:
        if self.fail_with is not None:
            raise self.fail_with
        self.published.append(envelope)
        return f"msg-{len(self.published)}"


class NotAnOrder(Event, frozen=True, kw_only=True):
    event_type = "NotAnOrder"


def an_order() -> Order:
    request = OrderRequest(
        customer_id="c-1",
        customer_email="Ada@Example.com",
        currency="eur",
        items=[
            OrderItemRequest(sku="A", quantity=2, unit_price=Decimal("9.99")),
            OrderItemRequest(sku="B", quantity=1, unit_price=Decimal("0.02"), name="Pin"),
        ],
    )
    return normalise_order(
        request,
        order_id=uuid.uuid4(),
        tenant_id=TENANT,
        submitted_at=datetime(2025, 3, 1, 11, 59, tzinfo=UTC),
    )


def an_envelope(order: Order, *, correlation_id: str = "corr-1") -> Envelope:
    return wrap(OrderSubmitted(order=order), tenant_id=TENANT, correlation_id=correlation_id)


def handle(
    envelope: Envelope,
    orders: FakeOrders,
    read_model: FakeReadModel,
    events: FakeEvents | None = None,
) -> None:
    handle_order_submitted(
        envelope,
        orders=orders,
        read_model=read_model,
        events=events or FakeEvents(),
        clock=lambda: PERSISTED_AT,
    )


def test_a_new_order_is_persisted_then_written_to_the_read_model() -> None:
    # given
    order = an_order()
    envelope = an_envelope(order)
    orders, read_model = FakeOrders(), FakeReadModel()

    # when
    handle(envelope, orders, read_model)

    # then
    assert orders.orders == {order.order_id: order}
    assert orders.event_ids == {order.order_id: envelope.event_id}
    assert read_model.writes == [(order, PERSISTED_AT)]


def test_the_same_event_delivered_twice_leaves_one_order() -> None:
    # given
    order = an_order()
    envelope = an_envelope(order)
    orders, read_model = FakeOrders(), FakeReadModel()
    handle(envelope, orders, read_model)

    # when
    handle(envelope, orders, read_model)

    # then
    assert list(orders.orders) == [order.order_id]
    assert read_model.writes == [(order, PERSISTED_AT), (order, PERSISTED_AT)]


def test_the_read_model_is_not_written_when_the_system_of_record_fails() -> None:
    # given
    orders, read_model = FakeOrders(fail_with=ConnectionError("database down")), FakeReadModel()

    # when
    with pytest.raises(ConnectionError):
        handle(an_envelope(an_order()), orders, read_model)

    # then
    assert read_model.writes == []


def test_the_envelope_correlation_id_is_bound_while_handling() -> None:
    # given
    envelope = an_envelope(an_order(), correlation_id="corr-42")
    orders = FakeOrders()

    # when
    handle(envelope, orders, FakeReadModel())

    # then
    assert orders.log_context[0]["correlation_id"] == "corr-42"
    assert orders.log_context[0]["event_id"] == str(envelope.event_id)
    assert "correlation_id" not in bound_fields()


def test_the_outcome_is_logged_with_the_correlation_id() -> None:
    # given
    order = an_order()
    envelope = an_envelope(order, correlation_id="corr-7")
    orders, read_model = FakeOrders(), FakeReadModel()

    # when
    with capture_logs(processors=[merge_bound_fields]) as logs:
        handle(envelope, orders, read_model)
        handle(envelope, orders, read_model)

    # then
    assert [(log["event"], log["correlation_id"], log["duplicate"]) for log in logs] == [
        ("order persisted", "corr-7", False),
        ("order already persisted", "corr-7", True),
    ]
    assert {log["order_id"] for log in logs} == {str(order.order_id)}


def test_an_envelope_of_another_event_type_is_refused() -> None:
    # given
    envelope = wrap(NotAnOrder(), tenant_id=TENANT, correlation_id="corr-1")
    orders = FakeOrders()

    # when
    with pytest.raises(TypeError, match="NotAnOrder"):
        handle(envelope, orders, FakeReadModel())

    # then
    assert orders.orders == {}


def test_a_persisted_order_is_announced_with_an_id_derived_from_the_order() -> None:
    # given an order delivered twice, as SQS may
    order = an_order()
    envelope = an_envelope(order, correlation_id="corr-9")
    orders, read_model, events = FakeOrders(), FakeReadModel(), FakeEvents()

    # when both deliveries are handled (the second finds it already stored)
    handle(envelope, orders, read_model, events)
    handle(envelope, orders, read_model, events)

    # then each published the same OrderPersisted, so the notifier confirms it once
    assert [e.event_id for e in events.published] == [persisted_event_id(order.order_id)] * 2
    first = events.published[0]
    assert isinstance(first.payload, OrderPersisted)
    assert first.payload.order == order
    assert (first.tenant_id, first.correlation_id) == (TENANT, "corr-9")


def test_nothing_is_announced_when_the_order_could_not_be_stored() -> None:
    orders, events = FakeOrders(fail_with=ConnectionError("database down")), FakeEvents()

    with pytest.raises(ConnectionError):
        handle(an_envelope(an_order()), orders, FakeReadModel(), events)

    assert events.published == []


def test_a_failed_announcement_fails_the_delivery_so_its_retry_announces_it() -> None:
    # given an order stored, but SNS refusing the announcement
    order = an_order()
    envelope = an_envelope(order)
    orders = FakeOrders()
    with pytest.raises(ConnectionError):
        handle(envelope, orders, FakeReadModel(), FakeEvents(fail_with=ConnectionError("sns")))

    # when the delivery is retried
    events = FakeEvents()
    handle(envelope, orders, FakeReadModel(), events)

    # then the retry announces the already stored order
    assert [e.event_id for e in events.published] == [persisted_event_id(order.order_id)]


def _sqlalchemy_operational_error() -> Exception:
    try:
        try:
            raise psycopg.OperationalError("connection refused")
        except psycopg.OperationalError as driver_error:
            raise sqlalchemy.exc.OperationalError("INSERT", {}, driver_error) from driver_error
    except sqlalchemy.exc.OperationalError as wrapped:
        return wrapped


def test_a_database_outage_marks_the_order_pending_with_a_safe_reason() -> None:
    # given the database refusing connections, as SQLAlchemy reports it
    order = an_order()
    orders = FakeOrders(fail_with=_sqlalchemy_operational_error())
    read_model = FakeReadModel()

    # when the delivery fails
    with pytest.raises(sqlalchemy.exc.OperationalError):
        handle(an_envelope(order), orders, read_model)

    # then the order is PENDING with what failed, naming no host or port
    assert read_model.pending == [
        (order, "the database is unavailable (OperationalError); retrying")
    ]
    assert read_model.writes == []


def test_a_bad_message_is_not_marked_pending() -> None:
    read_model = FakeReadModel()

    with pytest.raises(ValueError, match="bug"):
        handle(an_envelope(an_order()), FakeOrders(fail_with=ValueError("bug")), read_model)

    assert read_model.pending == []


def test_a_read_model_that_is_down_too_does_not_hide_the_original_failure() -> None:
    read_model = FakeReadModel(pending_fails_with=ConnectionError("dynamodb down"))

    with pytest.raises(ConnectionError, match="database down"):
        handle(
            an_envelope(an_order()),
            FakeOrders(fail_with=ConnectionError("database down")),
            read_model,
        )
