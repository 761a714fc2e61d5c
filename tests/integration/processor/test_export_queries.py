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
                "customer_name, currency, total_amount, created_at, event_id, correlation_id) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 'seed')",
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
