"""What keeping orders.item_count checked costs the writers of orders.

    uv run python bench/item_count_check.py [--orders 50000] [--rounds 3]

Against a throwaway PostgreSQL at the newest migration, the import's own upserts
(conveyor_processor.imports.upserts, batches of the importer's size) write `orders` new
orders of one to three items, then the same orders again with other items (each one
changed: its items deleted, its row updated, the new items copied), alternately with
the item-count constraint triggers enabled and disabled. Prints the best time of each
and the difference per item row. Only the PostgreSQL side is timed: the orders are built
before. Figures only, as noisy as the machine.
"""

from __future__ import annotations

import argparse
import random
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

import psycopg
from sqlalchemy import Engine

from conveyor_common.orders import Order, OrderItemRequest, OrderRequest, normalise_order
from conveyor_devstack.postgres import TempPostgres

TENANT = "bench-item-count"
SUBMITTED_AT = datetime(2026, 1, 1, tzinfo=UTC)


def orders(count: int, *, generation: int, seed: int) -> list[Order]:
    """`count` orders with fixed ids and one to three items of this generation's SKUs."""
    sizes = random.Random(seed + generation)
    return [
        normalise_order(
            OrderRequest(
                customer_id=f"c-{index}",
                customer_email="bench@example.com",
                currency="EUR",
                items=[
                    OrderItemRequest(sku=f"G{generation}-{line}", quantity=1, unit_price=Decimal(1))
                    for line in range(sizes.randint(1, 3))
                ],
            ),
            order_id=uuid.UUID(int=index + 1),
            tenant_id=TENANT,
            submitted_at=SUBMITTED_AT,
        )
        for index in range(count)
    ]


def timed_import(engine: Engine, batch_orders: int, file: Sequence[Order]) -> float:
    from conveyor_processor.imports.upserts import SqlOrderUpserts

    started = time.perf_counter()
    with SqlOrderUpserts(engine).session(source=f"file:{uuid.uuid4()}") as session:
        for start in range(0, len(file), batch_orders):
            session.apply(file[start : start + batch_orders], write=True)
    return time.perf_counter() - started


def set_checks(database_url: str, *, enabled: bool) -> None:
    # USER: the triggers created by the migrations, not the foreign key's own.
    action = "ENABLE" if enabled else "DISABLE"
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute("TRUNCATE orders CASCADE")
        connection.execute(f"ALTER TABLE orders {action} TRIGGER USER")
        connection.execute(f"ALTER TABLE order_items {action} TRIGGER USER")


def one_round(database_url: str, engine: Engine, files: list[list[Order]]) -> dict[str, float]:
    from conveyor_processor.imports.importer import BATCH_ORDERS

    seconds: dict[str, float] = {}
    for enabled in (True, False):
        set_checks(database_url, enabled=enabled)
        for label, file in zip(("new", "changed"), files, strict=True):
            seconds[f"{label}, checked={enabled}"] = timed_import(engine, BATCH_ORDERS, file)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    files = [orders(args.orders, generation=g, seed=args.seed) for g in (1, 2)]
    items = [sum(len(order.items) for order in file) for file in files]
    with TempPostgres() as postgres:
        from conveyor_processor.db import build_engine
        from conveyor_processor.migrate import upgrade

        upgrade(postgres.url)
        engine = build_engine(postgres.url)
        rounds = [one_round(postgres.url, engine, files) for _ in range(args.rounds)]
        engine.dispose()
    best = {label: min(round_[label] for round_ in rounds) for label in rounds[0]}
    for label, file_items in zip(("new", "changed"), items, strict=True):
        on, off = best[f"{label}, checked=True"], best[f"{label}, checked=False"]
        print(
            f"{label:8} {args.orders:,} orders, {file_items:,} items: checked {on:.2f} s,"
            f" unchecked {off:.2f} s, +{(on - off) / off:.0%},"
            f" {(on - off) / file_items * 1e6:.1f} µs per item row",
            flush=True,
        )


if __name__ == "__main__":
    main()
