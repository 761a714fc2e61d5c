from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest

from conveyor_common.cells import escape_formula
from conveyor_common.errors import ValidationFailed
from conveyor_common.exports.model import ExportFormat, ExportRequest
from conveyor_common.exports.query import copy_query, count_query, select_query
from conveyor_common.exports.registry import (
    Column,
    ColumnType,
    Filter,
    FilterKind,
    Resource,
    resolve,
)
from conveyor_common.jobs import JobStatus


def a_request(**fields: Any) -> ExportRequest:
    body: dict[str, Any] = {"resource": "orders", "format": "csv"} | fields
    return msgspec.convert(body, ExportRequest)


def failures(request: ExportRequest) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        resolve(request)
    return {error.field: error.message for error in caught.value.errors}


def test_orders_and_order_items_ship_in_the_registry() -> None:
    for name in ("orders", "order_items"):
        assert resolve(a_request(resource=name)).resource.name == name


def test_columns_are_a_subset_in_the_callers_order() -> None:
    export = resolve(a_request(columns=["totalAmount", "orderId"]))
    assert [column.name for column in export.columns] == ["totalAmount", "orderId"]


def test_unknown_resource_column_and_filter_are_reported_together() -> None:
    assert "resource" in failures(a_request(resource="nope"))
    errors = failures(a_request(columns=["orderId", "secret"], filters={"colour": "red"}))
    assert "secret" in errors["columns"]
    assert errors["filters.colour"].startswith("unknown filter; one of: createdAt")


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"createdAt": {"from": "yesterday"}}, "filters.createdAt.from"),
        ({"createdAt": "2026-01-01"}, "filters.createdAt"),
        ({"createdAt": {"from": "2026-02-01", "to": "2026-01-01"}}, "filters.createdAt"),
        ({"status": []}, "filters.status"),
        ({"customerId": ["a", "b"]}, "filters.customerId"),
        ({"currency": 5}, "filters.currency"),
        ({"customerId": "a\x00b"}, "filters.customerId"),
    ],
)
def test_bad_filter_values_name_the_filter(filters: dict[str, Any], field: str) -> None:
    assert field in failures(a_request(filters=filters))


def test_filters_become_bound_parameters_never_sql_text() -> None:
    export = resolve(
        a_request(
            filters={
                "createdAt": {"from": "2026-01-01T00:00:00", "to": "2026-02-01T00:00:00+01:00"},
                "currency": ["eur", "usd"],
                "customerId": "x'; DROP TABLE orders; --",
            }
        )
    )
    query = count_query(export, tenant_id="acme")
    assert "DROP TABLE" not in query.sql
    assert query.params["tenant_id"] == "acme"
    assert datetime(2026, 1, 1, tzinfo=UTC) in query.params.values()
    assert ["EUR", "USD"] in query.params.values()
    assert ["x'; DROP TABLE orders; --"] in query.params.values()


def test_copy_query_escapes_text_formats_times_and_keeps_numbers() -> None:
    export = resolve(a_request(columns=["customerName", "totalAmount", "createdAt"]))
    sql = copy_query(export, tenant_id="t").sql
    assert sql.startswith("COPY (SELECT ")
    assert sql.endswith("TO STDOUT (FORMAT csv, HEADER)")
    assert "CASE WHEN ascii(o.customer_name) IN (61, 43, 45, 64, 9, 13)" in sql
    assert 'o.total_amount AS "Total"' in sql
    assert "AT TIME ZONE 'UTC'" in sql
    assert "ORDER BY o.created_at, o.order_id" in select_query(export, tenant_id="t").sql


def test_adding_a_resource_is_one_declaration() -> None:
    # given a new resource declared once, in a registry of its own
    customers = Resource(
        name="customers",
        source="orders o",
        tenant_sql="o.tenant_id",
        columns=(
            Column("customerId", "Customer", ColumnType.TEXT, "o.customer_id"),
            Column("spent", "Spent", ColumnType.MONEY, "o.total_amount"),
        ),
        filters=(Filter("currency", FilterKind.ONE_OF, "o.currency", upper_case=True),),
        default_order="o.customer_id",
    )
    request = msgspec.convert(
        {"resource": "customers", "format": "xlsx", "filters": {"currency": "gbp"}},
        ExportRequest,
    )
    # when a request names it
    export = resolve(request, registry={"customers": customers})
    # then validation, counting and streaming all work from the declaration alone
    assert [column.label for column in export.columns] == ["Customer", "Spent"]
    assert count_query(export, tenant_id="t").params["f0"] == ["GBP"]
    assert "ORDER BY o.customer_id" in select_query(export, tenant_id="t").sql


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("safe", "safe"),
        ("", ""),
        ("a=b", "a=b"),
    ],
)
def test_formula_triggers_are_escaped(text: str, escaped: str) -> None:
    assert escape_formula(text) == escaped


def test_row_limits_and_terminal_states() -> None:
    assert ExportFormat.CSV.row_limit == ExportFormat.XLSX.row_limit == 500_000
    assert ExportFormat.PDF.row_limit == 20_000
    assert not any(status.is_terminal for status in (JobStatus.QUEUED, JobStatus.PROCESSING))
    assert all(status.is_terminal for status in (JobStatus.COMPLETED, JobStatus.FAILED))
