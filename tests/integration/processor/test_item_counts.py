"""orders.item_count against real PostgreSQL: every writer keeps it equal to the order's
rows in order_items, and an order of no item is refused."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from conveyor_common.orders import MAX_ITEMS, Order, OrderItemRequest, OrderRequest, normalise_order
from conveyor_processor.db import build_engine
from conveyor_processor.imports.upserts import SqlOrderUpserts
from conveyor_processor.orders.repository import SqlOrderRepository

pytestmark = pytest.mark.integration

TENANT = "tenant-item-counts"
SUBMITTED_AT = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)
# Examples share one database per test: each draws orders of its own ids.
SHARED_DATABASE = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


# --- helpers ---------------------------------------------------------------------------------


def an_order(items: int, *, order_id: uuid.UUID | None = None, sku: str = "SKU") -> Order:
    request = OrderRequest(
        customer_id="cust-1",
        customer_email="ada@example.com",
        currency="EUR",
        items=[
            OrderItemRequest(sku=f"{sku}-{line}", quantity=1, unit_price=Decimal("2.50"))
            for line in range(items)
        ],
    )
    return normalise_order(
        request, order_id=order_id or uuid.uuid4(), tenant_id=TENANT, submitted_at=SUBMITTED_AT
    )


def counts(database_url: str, order_id: uuid.UUID) -> tuple[int, int]:
    """The order's stored item_count and its real number of items."""
    with psycopg.connect(database_url) as connection:
        row = connection.execute(
            "SELECT o.item_count, (SELECT count(*) FROM order_items i"
            " WHERE i.order_id = o.order_id) FROM orders o WHERE o.order_id = %s",
            (order_id,),
        ).fetchone()
    assert row is not None, f"order {order_id} is not stored"
    return row[0], row[1]


def import_once(upserts: SqlOrderUpserts, orders: Sequence[Order]) -> None:
    """The orders as one file's batch, written by a session of its own (a new file)."""
    with upserts.session(source=f"file:{uuid.uuid4()}") as session:
        session.apply(orders, write=True)


def execute_in_one_transaction(database_url: str, *statements: tuple[str, tuple[Any, ...]]) -> None:
    with psycopg.connect(database_url) as connection:
        for statement, params in statements:
            connection.execute(statement, params)


INSERT_ORDER = (
    "INSERT INTO orders (order_id, tenant_id, customer_id, customer_email, currency,"
    " total_amount, item_count, created_at, event_id, correlation_id)"
    " VALUES (%s, 'acme', 'c', 'c@example.com', 'EUR', 1, %s, now(), gen_random_uuid(), 'x')"
)


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def engine(db: str) -> Iterator[Engine]:
    engine = build_engine(db)
    yield engine
    engine.dispose()


# --- the writers -----------------------------------------------------------------------------


@settings(max_examples=15, deadline=None, suppress_health_check=SHARED_DATABASE)
@given(items=st.integers(min_value=1, max_value=MAX_ITEMS))
def test_the_persister_stores_the_number_of_items(engine: Engine, db: str, items: int) -> None:
    # given an order of any allowed size; when the processor stores it
    order = an_order(items)
    SqlOrderRepository(engine).save_order(order, event_id=uuid.uuid4(), correlation_id="c")

    # then its stored count is its real number of items
    assert counts(db, order.order_id) == (items, items)


@settings(max_examples=15, deadline=None, suppress_health_check=SHARED_DATABASE)
@given(sizes=st.lists(st.integers(min_value=1, max_value=12), min_size=1, max_size=4))
def test_imports_keep_the_count_through_re_imports_of_other_sizes(
    engine: Engine, db: str, sizes: list[int]
) -> None:
    # given an order imported by successive files, each giving it another number of items
    upserts, order_id = SqlOrderUpserts(engine), uuid.uuid4()
    for generation, size in enumerate(sizes):
        # when each file is imported (a new order first, then changed ones)
        import_once(upserts, [an_order(size, order_id=order_id, sku=f"G{generation}")])

        # then the stored count follows the items the last file gave
        assert counts(db, order_id) == (size, size)


def test_an_import_batch_of_new_and_changed_orders_counts_each(engine: Engine, db: str) -> None:
    # given two stored orders of 1 and 5 items
    upserts = SqlOrderUpserts(engine)
    shrinking, growing = an_order(5), an_order(1)
    import_once(upserts, [shrinking, growing])

    # when one batch changes both and adds a new one
    fresh = an_order(3)
    import_once(
        upserts,
        [
            an_order(2, order_id=shrinking.order_id, sku="B"),
            an_order(7, order_id=growing.order_id, sku="B"),
            fresh,
        ],
    )

    # then each count is its order's own
    assert [counts(db, order.order_id) for order in (shrinking, growing, fresh)] == [
        (2, 2),
        (7, 7),
        (3, 3),
    ]


# --- what the table refuses -------------------------------------------------------------------


def test_an_order_of_no_item_is_refused(db: str) -> None:
    with pytest.raises(psycopg.errors.CheckViolation):
        execute_in_one_transaction(db, (INSERT_ORDER, (uuid.uuid4(), 0)))
