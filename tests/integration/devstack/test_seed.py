"""Seeded orders land in PostgreSQL, and the seeding tells how far it got as it goes."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg

from conveyor_devstack.seed import PROGRESS_EVERY_ROWS, seed_orders, seeded_rows


def test_seeding_reports_its_rows_as_it_writes_them_up_to_all_of_them(db: str) -> None:
    count = PROGRESS_EVERY_ROWS + 2_500
    reported: list[int] = []

    seed_orders(
        db,
        tenant="seeded",
        count=count,
        start=datetime(2026, 1, 1, tzinfo=UTC),
        progress=reported.append,
    )

    with psycopg.connect(db) as conn:
        orders = conn.execute("SELECT count(*) FROM orders WHERE tenant_id = 'seeded'").fetchone()
        items = conn.execute("SELECT count(*) FROM order_items").fetchone()
    assert (orders, items) == ((count,), (count,))
    # reported on the way, never going back, and all of them at the end
    assert reported == sorted(reported)
    assert len(reported) >= 3
    assert reported[-1] == seeded_rows(count) == 2 * count
