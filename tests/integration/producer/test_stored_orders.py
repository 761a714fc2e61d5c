"""An imported order as the processor's batches store it, read back by the producer from
real PostgreSQL: every field the file gave, each item in its line's place, and a
re-import that changes the items seen whole."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from conveyor_aws.order_items import OrderState
from conveyor_common.imports.model import imported_order_id
from conveyor_common.orders import Order, OrderItem
from conveyor_processor.db import build_engine
from conveyor_processor.imports.upserts import SqlOrderUpserts
from conveyor_producer.database import Database
from conveyor_producer.orders.stored import SqlStoredOrders

pytestmark = pytest.mark.integration

TENANT = "acme"
UPLOADED_AT = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)


def an_order(*prices: str, name: str | None = None) -> Order:
    items = tuple(
        OrderItem(
            sku=f"SKU-{line}",
            name=f"Item {line}" if line % 2 else None,
            quantity=line,
            unit_price=Decimal(price),
            line_total=Decimal(price) * line,
        )
        for line, price in enumerate(prices, start=1)
    )
    return Order(
        order_id=imported_order_id(TENANT, "A-1"),
        tenant_id=TENANT,
        customer_id="c-1",
        customer_email="jane@example.com",
        customer_name=name,
        currency="EUR",
        items=items,
        total_amount=sum((item.line_total for item in items), Decimal("0.00")),
        submitted_at=UPLOADED_AT,
    )


@pytest.fixture
def upserts(db: str) -> Iterator[SqlOrderUpserts]:
    engine = build_engine(db)
    yield SqlOrderUpserts(engine, clock=lambda: UPLOADED_AT)
    engine.dispose()


@pytest.fixture
def stored_orders(db: str) -> Iterator[SqlStoredOrders]:
    database = Database(db, max_size=1)
    database.open()
    yield SqlStoredOrders(database)
    database.close()


def imported(upserts: SqlOrderUpserts, order: Order, *, source: str) -> None:
    with upserts.session(source=source) as session:
        assert session.apply([order], write=True).written == frozenset({0})


def test_an_imported_order_reads_back_as_it_was_stored(
    upserts: SqlOrderUpserts, stored_orders: SqlStoredOrders
) -> None:
    order = an_order("19.99", "0.50", "1000000.00", name='Jane "JD" O\'Neil \\ Ünïcode')
    imported(upserts, order, source="file:one")

    record = stored_orders.find(order.order_id)

    assert record is not None
    assert (record.tenant_id, record.status, record.persisted_at) == (
        TENANT,
        OrderState.PERSISTED,
        UPLOADED_AT,
    )
    assert record.order == order


def test_a_reimport_with_fewer_or_more_items_reads_back_with_exactly_those(
    upserts: SqlOrderUpserts, stored_orders: SqlStoredOrders
) -> None:
    order_id = an_order("1.00").order_id
    for source, prices in [
        ("one", ("1.00",)),
        ("two", ("1.00", "2.00", "3.00")),
        ("three", ("4.00", "5.00")),
    ]:
        order = an_order(*prices)
        imported(upserts, order, source=f"file:{source}")
        record = stored_orders.find(order_id)
        assert record is not None
        assert record.order == order


def test_an_id_no_import_stored_is_not_found(stored_orders: SqlStoredOrders) -> None:
    assert stored_orders.find(imported_order_id(TENANT, "never")) is None
