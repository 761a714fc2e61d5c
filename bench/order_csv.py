"""A generated file of orders in the importer's CSV layout (conveyor_common.imports.model
CSV_COLUMNS): one line per item, the order's cells on each, as the template shows."""

from __future__ import annotations

import csv
import random
from collections.abc import Callable
from pathlib import Path

from conveyor_common.imports.model import CSV_COLUMNS

CUSTOMERS = 50_000
CURRENCIES = ("EUR", "USD", "GBP")
# How often the generator reports the orders written: often enough for a bar, not per order.
PROGRESS_EVERY_ORDERS = 10_000


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def order_lines(number: int, chooser: random.Random) -> list[list[str]]:
    """The CSV lines of order `number`: one per item, the order's cells on each."""
    customer = f"c-{number % CUSTOMERS:06d}"
    currency = chooser.choice(CURRENCIES)
    items = [
        (f"SKU-{chooser.randrange(1000):04d}", chooser.randint(1, 5), chooser.randrange(50, 20000))
        for _ in range(chooser.randint(1, 3))
    ]
    total = _money(sum(quantity * cents for _, quantity, cents in items))
    heading = [f"B-{number:08d}", customer, f"{customer}@example.com", f"Customer {customer}"]
    return [
        [*heading, currency, sku, f"Item {sku}", str(quantity), _money(cents), total]
        for sku, quantity, cents in items
    ]


def write_orders_csv(
    path: Path, *, orders: int, seed: int, progress: Callable[[int], None] = lambda orders: None
) -> int:
    """The file of `orders` orders in the importer's CSV layout, written as it is
    generated; its number of rows (lines after the header). `progress` hears of the
    orders written so far, every PROGRESS_EVERY_ORDERS and at the end."""
    chooser = random.Random(seed)
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_COLUMNS)
        for number in range(orders):
            lines = order_lines(number, chooser)
            writer.writerows(lines)
            rows += len(lines)
            if number % PROGRESS_EVERY_ORDERS == 0:
                progress(number)
    progress(orders)
    return rows
