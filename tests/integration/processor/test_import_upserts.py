"""One import's batch upserts against real PostgreSQL: which orders a batch writes, and
which it reports as repeating an order the file gave before."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal

import psycopg
import pytest
from sqlalchemy import Engine

from conveyor_common.imports.model import imported_order_id
from conveyor_common.orders import Order, OrderItem
from conveyor_processor.db import build_engine
from conveyor_processor.imports.ports import BatchOutcome
from conveyor_processor.imports.upserts import SqlOrderUpserts

pytestmark = pytest.mark.integration

TENANT = "acme"
T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def order(ref: str, *, quantity: int = 1) -> Order:
    price = Decimal("2.50")
    return Order(
        order_id=imported_order_id(TENANT, ref),
        tenant_id=TENANT,
        customer_id=f"cust-{ref}",
        customer_email="jane@example.com",
        customer_name=None,
        currency="EUR",
        items=(
            OrderItem(
                sku="SKU-1",
                name=None,
                quantity=quantity,
                unit_price=price,
                line_total=price * quantity,
            ),
        ),
        total_amount=price * quantity,
        submitted_at=T0,
    )


@pytest.fixture
def engine(db: str) -> Iterator[Engine]:
    engine = build_engine(db)
    yield engine
    engine.dispose()


def stored(db: str) -> dict[str, tuple[str, int, str]]:
    with psycopg.connect(db) as connection:
        rows = connection.execute(
            "SELECT o.customer_id, i.quantity, o.event_id::text, o.order_id::text"
            " FROM orders o JOIN order_items i USING (order_id)"
        ).fetchall()
    return {
        customer: (order_id, quantity, event_id) for customer, quantity, event_id, order_id in rows
    }


def test_an_order_repeated_in_its_batch_or_a_later_one_is_reported_and_not_written(
    db: str, engine: Engine
) -> None:
    upserts = SqlOrderUpserts(engine)
    with upserts.session(source="file:one") as session:
        first = session.apply([order("A"), order("B"), order("A", quantity=9)], write=True)
        later = session.apply([order("C"), order("B", quantity=5), order("C")], write=True)
        empty = session.apply([], write=True)

    assert first.duplicates == frozenset({2})
    assert first.written == frozenset({0, 1})
    assert later.duplicates == frozenset({1, 2})
    assert later.written == frozenset({0})
    assert empty == BatchOutcome(duplicates=frozenset(), written=frozenset())
    rows = stored(db)
    # The first of each order is what is stored; a repeat changes nothing.
    assert {customer: quantity for customer, (_, quantity, _) in rows.items()} == {
        "cust-A": 1,
        "cust-B": 1,
        "cust-C": 1,
    }
    # An imported order's event id is its own id (a version 5 UUID).
    assert all(order_id == event_id for order_id, _, event_id in rows.values())


def test_another_import_of_the_same_orders_starts_a_fresh_record_of_what_it_saw(
    db: str, engine: Engine
) -> None:
    upserts = SqlOrderUpserts(engine)
    with upserts.session(source="file:one") as session:
        session.apply([order("A"), order("B")], write=True)
    with upserts.session(source="file:two") as session:
        again = session.apply([order("A"), order("B", quantity=3)], write=True)

    # Not repeats of this file: A is unchanged (not written), B changed (written).
    assert again.duplicates == frozenset()
    assert again.written == frozenset({1})
    assert stored(db)["cust-B"][1] == 3


def test_two_imports_of_the_same_orders_at_once_store_each_order_once(
    db: str, engine: Engine
) -> None:
    orders = [order(f"R-{number}") for number in range(400)]
    batches = [orders[start : start + 50] for start in range(0, len(orders), 50)]
    upserts = SqlOrderUpserts(engine)
    start = threading.Barrier(2)

    def run(source: str) -> set[int]:
        written: set[int] = set()
        with upserts.session(source=source) as session:
            start.wait()
            for number, batch in enumerate(batches):
                outcome = session.apply(batch, write=True)
                written |= {number * 50 + position for position in outcome.written}
        return written

    with ThreadPoolExecutor(max_workers=2) as pool:
        one, two = pool.map(run, ["file:one", "file:two"])

    assert len(stored(db)) == len(orders)
    # Each order was written by one import; the other found it stored as it is.
    assert one | two == set(range(len(orders)))
    assert not one & two
