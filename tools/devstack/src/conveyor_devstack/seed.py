"""Sample orders written straight into PostgreSQL with COPY, for demos, tests and benchmarks.

Names include spreadsheet formula triggers on purpose: every export must escape them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

import psycopg

SAMPLE_NAMES = (
    "Ada Lovelace",
    '=HYPERLINK("http://x")',
    "Grace Hopper",
    "-1+2",
    "@SUM(A1)",
    "Émilie du Châtelet",
)
_ORDER_COLUMNS = (
    "order_id, tenant_id, customer_id, customer_email, customer_name, currency, "
    "total_amount, item_count, created_at, persisted_at, event_id, correlation_id"
)
_ITEM_COLUMNS = "order_id, line_no, sku, name, quantity, unit_price, line_total"


# The progress callback hears of the rows written at least this often.
PROGRESS_EVERY_ROWS = 10_000


def seed_orders(
    database_url: str,
    *,
    tenant: str,
    count: int,
    start: datetime,
    step: timedelta = timedelta(minutes=1),
    currencies: Sequence[str] = ("EUR", "USD"),
    progress: Callable[[int], None] = lambda rows: None,
) -> None:
    """`count` orders of one item each: order i has customer `c-{i:05d}`, total i + 0.25,
    and was created at start + i * step. `progress` hears of the rows written so far:
    the orders, then their items, `seeded_rows(count)` in all."""
    order_ids = [uuid.uuid4() for _ in range(count)]
    with psycopg.connect(database_url) as conn, conn.cursor() as cursor:
        with cursor.copy(f"COPY orders ({_ORDER_COLUMNS}) FROM STDIN") as copy:
            for index, order_id in enumerate(order_ids):
                copy.write_row(
                    _order_row(index, order_id, tenant, start + index * step, currencies)
                )
                _report(index + 1, progress)
        with cursor.copy(f"COPY order_items ({_ITEM_COLUMNS}) FROM STDIN") as copy:
            for index, order_id in enumerate(order_ids):
                total = _total(index)
                copy.write_row((order_id, 1, f"SKU-{index % 10}", "Sample item", 1, total, total))
                _report(count + index + 1, progress)
        cursor.execute("ANALYZE orders")
        cursor.execute("ANALYZE order_items")
    progress(seeded_rows(count))


def seeded_rows(count: int) -> int:
    """The rows seed_orders writes for `count` orders: each order and its one item."""
    return 2 * count


def _report(rows: int, progress: Callable[[int], None]) -> None:
    if rows % PROGRESS_EVERY_ROWS == 0:
        progress(rows)


def _order_row(
    index: int, order_id: uuid.UUID, tenant: str, created: datetime, currencies: Sequence[str]
) -> tuple[object, ...]:
    return (
        order_id,
        tenant,
        f"c-{index:05d}",
        f"c{index}@example.com",
        SAMPLE_NAMES[index % len(SAMPLE_NAMES)],
        currencies[index % len(currencies)],
        _total(index),
        1,
        created,
        created,
        uuid.uuid4(),
        "seed",
    )


def _total(index: int) -> Decimal:
    return Decimal(index) + Decimal("0.25")
