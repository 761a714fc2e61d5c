"""The registry's SQL, run against real PostgreSQL with the real schema."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import msgspec
import psycopg
import pytest

from conveyor_common.errors import ValidationFailed
from conveyor_common.exports.model import ExportRequest
from conveyor_common.exports.query import copy_query, count_query, select_query
from conveyor_common.exports.registry import (
    Column,
    ColumnType,
    Filter,
    FilterKind,
    Resource,
    resolve,
)

pytestmark = pytest.mark.integration

START = datetime(2026, 3, 1, tzinfo=UTC)


def seed(url: str, *, tenant: str, names: list[str], currency: str = "EUR") -> None:
    with psycopg.connect(url) as conn:
        for index, name in enumerate(names):
            order_id = uuid.uuid4()
            conn.execute(
                "INSERT INTO orders (order_id, tenant_id, customer_id, customer_email, "
                "customer_name, currency, total_amount, item_count, created_at, event_id, "
                "correlation_id) VALUES (%s, %s, %s, %s, %s, %s, %s, 1, %s, %s, 'seed')",
                (
                    order_id,
                    tenant,
                    f"c-{index}",
                    f"c{index}@example.com",
                    name,
                    currency,
                    Decimal(index) + Decimal("0.50"),
                    START + timedelta(days=index),
                    uuid.uuid4(),
                ),
            )
            conn.execute(
                "INSERT INTO order_items (order_id, line_no, sku, name, quantity, unit_price, "
                "line_total) VALUES (%s, 1, 'SKU', 'thing', 1, 1, 1)",
                (order_id,),
            )


def request(**fields: Any) -> ExportRequest:
    return msgspec.convert({"resource": "orders", "format": "csv"} | fields, ExportRequest)


def copy_rows(url: str, sql: str, params: dict[str, Any]) -> list[list[str]]:
    buffer = io.BytesIO()
    with psycopg.connect(url) as conn, conn.cursor().copy(sql, params) as copy:
        for block in copy:
            buffer.write(block)
    return list(csv.reader(io.StringIO(buffer.getvalue().decode())))


def test_counts_and_rows_respect_tenant_and_filters(db: str) -> None:
    seed(db, tenant="acme", names=["=HYPERLINK(1)", "Bob", "-2+3", "Dora"])
    seed(db, tenant="other", names=["Eve"])
    in_march = request(filters={"createdAt": {"from": "2026-03-02", "to": "2026-03-04"}})
    with psycopg.connect(db) as conn:
        assert conn.execute(
            *astuple(count_query(resolve(request()), tenant_id="acme"))
        ).fetchone() == (4,)
        assert conn.execute(
            *astuple(count_query(resolve(in_march), tenant_id="acme"))
        ).fetchone() == (2,)
        rows = conn.execute(
            *astuple(
                select_query(
                    resolve(request(columns=["customerName", "itemCount"])), tenant_id="acme"
                )
            )
        ).fetchall()
    assert rows == [("=HYPERLINK(1)", 1), ("Bob", 1), ("-2+3", 1), ("Dora", 1)]
    export = resolve(request(columns=["customerName", "totalAmount", "createdAt"]))
    query = copy_query(export, tenant_id="acme")
    table = copy_rows(db, query.sql, query.params)
    assert table[0] == ["Customer", "Total", "Created at"]
    assert table[1] == ["'=HYPERLINK(1)", "0.50", "2026-03-01T00:00:00Z"]
    assert [row[0] for row in table[2:]] == ["Bob", "'-2+3", "Dora"]


def test_a_new_resource_declaration_runs_as_is(db: str) -> None:
    seed(db, tenant="acme", names=["Ann", "Ben"], currency="GBP")
    customers = Resource(
        name="customers",
        source="orders o",
        tenant_sql="o.tenant_id",
        columns=(
            Column("customerId", "Customer", ColumnType.TEXT, "o.customer_id"),
            # negative numbers stay numbers: only text cells are escaped
            Column("refund", "Refund", ColumnType.MONEY, "-o.total_amount"),
        ),
        filters=(Filter("currency", FilterKind.ONE_OF, "o.currency", upper_case=True),),
        default_order="o.customer_id DESC",
    )
    export = resolve(
        msgspec.convert(
            {"resource": "customers", "format": "csv", "filters": {"currency": "gbp"}},
            ExportRequest,
        ),
        registry={"customers": customers},
    )
    query = copy_query(export, tenant_id="acme")
    assert copy_rows(db, query.sql, query.params) == [
        ["Customer", "Refund"],
        ["c-1", "-1.50"],
        ["c-0", "-0.50"],
    ]


def astuple(query: Any) -> tuple[str, dict[str, Any]]:
    return query.sql, query.params


@pytest.mark.parametrize(
    "moment",
    [
        "2026-03-02T23:00:00-23:59",  # Python takes offsets to ±23:59, PostgreSQL to ±15:59
        "2026-03-03T10:00:00+05:30:15.5",  # and offsets with seconds, which it refuses too
        "2026-03-02T00:00:00+00:00",
    ],
)
def test_any_date_time_the_registry_accepts_runs_in_copy(db: str, moment: str) -> None:
    # given orders on 1, 2, 3 and 4 March (UTC)
    seed(db, tenant="acme", names=["a", "b", "c", "d"])
    export = resolve(request(filters={"createdAt": {"from": moment}}))

    # when counted as the API does and copied as the CSV export does
    with psycopg.connect(db) as conn:
        row = conn.execute(*astuple(count_query(export, tenant_id="acme"))).fetchone()
    query = copy_query(export, tenant_id="acme")
    table = copy_rows(db, query.sql, query.params)

    # then both agree on the same moment
    assert row is not None
    assert len(table) - 1 == row[0] >= 1


def test_a_date_time_beyond_the_calendar_once_in_utc_is_refused() -> None:
    with pytest.raises(ValidationFailed) as refused:
        resolve(request(filters={"createdAt": {"from": "0001-01-01T00:00:00+05:00"}}))
    assert refused.value.errors[0].field == "filters.createdAt.from"


def insert_order(
    url: str, *, name: str | None, items: int, created_at: datetime, customer_id: str = "c"
) -> None:
    with psycopg.connect(url) as conn:
        order_id = uuid.uuid4()
        conn.execute(
            "INSERT INTO orders (order_id, tenant_id, customer_id, customer_email, "
            "customer_name, currency, total_amount, item_count, created_at, persisted_at, "
            "event_id, correlation_id) VALUES (%s, 'acme', %s, 'c@example.com', %s, 'EUR', 1, "
            "%s, %s, %s, %s, 'seed')",
            (order_id, customer_id, name, items, created_at, created_at, uuid.uuid4()),
        )
        for line_no in range(1, items + 1):
            conn.execute(
                "INSERT INTO order_items (order_id, line_no, sku, name, quantity, unit_price, "
                "line_total) VALUES (%s, %s, 'SKU', 'thing', 1, 1, 1)",
                (order_id, line_no),
            )


# Every formula trigger, and text that only looks close to one.
NAMES = [
    ("=1+1", "'=1+1"),
    ("+1", "'+1"),
    ("-1", "'-1"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"),
    ("\rx", "'\rx"),
    ("'quoted", "'quoted"),
    ("Ärger", "Ärger"),
    ("a=1", "a=1"),
    ("", ""),
    (None, ""),
]


# An order has at least one item (ck_orders_item_count_positive).
ITEM_COUNTS = (1, 2, 7)


def test_copy_counts_every_item_and_escapes_every_trigger(db: str) -> None:
    # given orders with 1, 2 and 7 items, names starting with every trigger, one second apart
    for index, (name, _) in enumerate(NAMES):
        items = ITEM_COUNTS[index % 3]
        insert_order(db, name=name, items=items, created_at=START + timedelta(seconds=index))
    export = resolve(request(columns=["customerName", "itemCount"]))

    # when copied as the CSV export does
    table = copy_rows(db, *astuple(copy_query(export, tenant_id="acme")))

    # then each name is escaped exactly when it starts with a trigger, each count is exact
    assert table[0] == ["Customer", "Items"]
    assert table[1:] == [
        [escaped, str(ITEM_COUNTS[index % 3])] for index, (_, escaped) in enumerate(NAMES)
    ]


def test_copy_writes_times_as_utc_iso_seconds_whatever_the_session_settings(db: str) -> None:
    # given an order created with a fraction of a second, and one in a year before 1000
    insert_order(db, name="a", items=1, created_at=datetime(2026, 3, 1, 23, 59, 59, 999999, UTC))
    insert_order(db, name="b", items=1, created_at=datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC))
    export = resolve(request(columns=["createdAt", "persistedAt", "customerId"]))
    query = copy_query(export, tenant_id="acme")

    # when copied in a session whose time zone and date style are not UTC and ISO
    buffer = io.BytesIO()
    with psycopg.connect(db) as conn:
        conn.execute("SET TimeZone = 'America/New_York'")
        conn.execute("SET DateStyle = 'SQL, DMY'")
        with conn.cursor().copy(query.sql, query.params) as copy:
            for block in copy:
                buffer.write(block)
    table = list(csv.reader(io.StringIO(buffer.getvalue().decode())))

    # then times are UTC, ISO 8601, truncated to the second, with "T" and "Z"
    assert table == [
        ["Created at", "Persisted at", "Customer ID"],
        ["0999-01-02T03:04:05Z", "0999-01-02T03:04:05Z", "c"],
        ["2026-03-01T23:59:59Z", "2026-03-01T23:59:59Z", "c"],
    ]
