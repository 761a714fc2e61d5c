"""Properties of the edge's validation against the real stores and writers.

Whatever the producer accepts, the workers can store and render: an order the
producer's validation accepts is stored by the real repository in PostgreSQL
and reads back equal; an export title and filters it accepts render through
each writer. Whatever it refuses is refused with a ValidationFailed naming a
field, never with another exception. Requests are driven through the very
functions the API uses (decode, then normalise or resolve). Text strategies
include arbitrary Unicode with control characters; lone surrogates are left
out because JSON cannot carry them (the decoder refuses them as broken JSON).
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import psycopg
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import Engine

from conveyor_common.cells import escape_formula
from conveyor_common.errors import ValidationFailed
from conveyor_common.exports.job import ExportJob
from conveyor_common.exports.model import ExportFormat
from conveyor_common.exports.query import count_query
from conveyor_common.exports.registry import resolve
from conveyor_common.jobs import JobStatus
from conveyor_common.orders import Order, normalise_order
from conveyor_processor.db import build_engine
from conveyor_processor.exports.render import PostgresRenderer
from conveyor_processor.exports.writers.pdf_html import DEFAULT_TITLE
from conveyor_processor.orders.repository import SqlOrderRepository
from conveyor_producer.exports.requests import decode_export_request
from conveyor_producer.orders.requests import decode_order_request

pytestmark = pytest.mark.integration

TENANT = "tenant-edge-properties"
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
SEEDED_CUSTOMER = "cust-édge-1"
# Examples share one database per test: each order has its own id, so none collide.
SHARED_DATABASE = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]

# Controls, line breaks and characters XML or PostgreSQL refuse, amid ordinary text.
_HOSTILE = "\x00\x01\x08\t\n\x0b\x0c\r\x1f\x7f\x85\x9f\u2028\u2029\ufffe\uffff"
_ORDINARY = "aZ09 -_.'é山☕👩\u00a0\u200d=+@"


def mostly(valid: st.SearchStrategy[Any], other: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Nine parts `valid` to one part `other`: with a dozen fields, about a third of the
    orders are accepted and the rest refused for one reason or a few."""
    return st.sampled_from((True,) * 9 + (False,)).flatmap(lambda ok: valid if ok else other)


# Any Unicode scalar value but the controls and separators: text the rules accept.
plain = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Zl", "Zp")), min_size=1, max_size=60
)
# Ordinary text of an ordinary length but for one character some part downstream refuses.
one_hostile = st.tuples(
    plain, st.sampled_from(_HOSTILE), st.text(st.sampled_from(_ORDINARY), max_size=3)
).map("".join)
texts = mostly(
    plain,
    st.one_of(
        one_hostile,
        st.one_of(
            st.text(max_size=300),
            st.text(st.sampled_from(_HOSTILE + _ORDINARY), max_size=40),
            st.text(st.characters(codec="utf-8"), min_size=120, max_size=300),
        ),
    ),
)
amounts = mostly(
    st.decimals(min_value=0, max_value=10_000, places=2).map(str),
    st.one_of(
        st.decimals(min_value=-10, max_value=10**10, places=2).map(str),
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
        st.integers(min_value=-5, max_value=10**12),
        st.floats(allow_nan=False, allow_infinity=False),
        texts,
    ),
)
items = st.fixed_dictionaries(
    {
        "sku": texts,
        "quantity": mostly(st.integers(1, 1000), st.integers()),
        "unitPrice": amounts,
    },
    optional={"name": st.one_of(st.none(), texts)},
)
orders = st.fixed_dictionaries(
    {
        "customerId": texts,
        "customerEmail": mostly(st.emails(), texts),
        "currency": mostly(st.sampled_from(["EUR", "usd", " gbp ", "JPY"]), texts),
        "items": st.lists(items, min_size=1, max_size=3),
    },
    optional={"customerName": st.one_of(st.none(), texts)},
)
# A claimed total rarely matches the items; sent now and then, it is mostly refused.
totals = mostly(st.none(), amounts)


@pytest.fixture
def engine(db: str) -> Iterator[Engine]:
    engine = build_engine(db)
    yield engine
    engine.dispose()


def accepted_order(body: bytes) -> Order | None:
    """The order the API would accept for `body`, or None if it is refused as it should be."""
    try:
        request = decode_order_request(body)
        order = normalise_order(request, order_id=uuid.uuid4(), tenant_id=TENANT, submitted_at=NOW)
    except ValidationFailed as exc:
        refused(exc)
        return None
    event("accepted")
    return order


def refused(exc: ValidationFailed) -> None:
    """A refusal names each field it refuses, as the API's problem body will."""
    event("refused")
    assert exc.errors
    assert all(error.field and error.message for error in exc.errors), exc.errors


def stored_order(database_url: str, order_id: uuid.UUID) -> dict[str, Any]:
    with (
        psycopg.connect(database_url) as conn,
        conn.cursor(row_factory=psycopg.rows.dict_row) as cur,
    ):
        order = cur.execute(
            "SELECT customer_id, customer_email, customer_name, currency, total_amount, "
            "created_at FROM orders WHERE order_id = %s",
            (order_id,),
        ).fetchone()
        lines = cur.execute(
            "SELECT sku, name, quantity, unit_price, line_total FROM order_items "
            "WHERE order_id = %s ORDER BY line_no",
            (order_id,),
        ).fetchall()
    assert order is not None
    return {**order, "items": lines}


@settings(max_examples=200, deadline=None, suppress_health_check=SHARED_DATABASE)
@given(body=orders, total=totals, ascii_only=st.booleans())
def test_an_accepted_order_is_stored_and_reads_back_equal(
    engine: Engine, db: str, body: dict[str, Any], total: Any, ascii_only: bool
) -> None:
    if total is not None:
        body = {**body, "totalAmount": total}
    order = accepted_order(json.dumps(body, ensure_ascii=ascii_only).encode())
    if order is None:
        return

    assert SqlOrderRepository(engine).save_order(order, event_id=uuid.uuid4(), correlation_id="p")

    assert stored_order(db, order.order_id) == {
        "customer_id": order.customer_id,
        "customer_email": order.customer_email,
        "customer_name": order.customer_name,
        "currency": order.currency,
        "total_amount": order.total_amount,
        "created_at": order.submitted_at,
        "items": [
            {
                "sku": line.sku,
                "name": line.name,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "line_total": line.line_total,
            }
            for line in order.items
        ],
    }


# --- exports -------------------------------------------------------------------------------

times = mostly(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)).map(
        datetime.isoformat
    ),
    st.one_of(st.dates().map(str), texts),
)
filter_values = st.fixed_dictionaries(
    {},
    optional={
        "customerId": st.one_of(st.just(SEEDED_CUSTOMER), texts),
        "currency": st.one_of(st.lists(texts, max_size=3), texts, st.just(["eur", "USD"])),
        "status": st.one_of(st.just("PERSISTED"), texts),
        "createdAt": st.fixed_dictionaries({}, optional={"from": times, "to": times}),
    },
)
titles = st.one_of(st.none(), texts)


@pytest.fixture
def seeded(db: str, engine: Engine) -> str:
    """Two orders of TENANT, one of them SEEDED_CUSTOMER's, with text worth rendering."""
    repository = SqlOrderRepository(engine)
    for customer, name in ((SEEDED_CUSTOMER, "Zoë 山田 ☕"), ("cust-2", "=HYPERLINK(x)")):
        body = {
            "customerId": customer,
            "customerEmail": "buyer@example.com",
            "customerName": name,
            "currency": "EUR",
            "items": [{"sku": "SKU-1", "name": name, "quantity": 2, "unitPrice": "9.99"}],
        }
        order = normalise_order(
            decode_order_request(json.dumps(body).encode()),
            order_id=uuid.uuid4(),
            tenant_id=TENANT,
            submitted_at=NOW,
        )
        repository.save_order(order, event_id=uuid.uuid4(), correlation_id="seed")
    return db


def accepted_export(export_format: ExportFormat, title: str | None, filters: Any) -> Any:
    """The resolved export the API would accept, or None if refused as it should be."""
    body = {"resource": "orders", "format": export_format.value, "filters": filters}
    try:
        request = decode_export_request(json.dumps({**body, "title": title}).encode())
        export = resolve(request)
    except ValidationFailed as exc:
        refused(exc)
        return None
    event("accepted")
    return request, export


def render(database_url: str, request: Any, export: Any) -> tuple[io.BytesIO, int]:
    """The file the processor would render for the accepted request, and its row count."""
    job = ExportJob(
        export_id=uuid.uuid4(),
        tenant_id=TENANT,
        requested_by="prop",
        resource=request.resource,
        format=request.format,
        filters=msgspec.to_builtins(request.filters),
        title=request.title,
        notify=("prop@example.com",),
        status=JobStatus.PROCESSING,
        estimated_row_count=0,
        created_at=NOW,
        expires_at=NOW + timedelta(days=30),
    )
    sink = io.BytesIO()
    rows = PostgresRenderer(database_url)(job, export, sink=sink, progress=lambda _: None)
    sink.seek(0)
    return sink, rows


def counted(database_url: str, export: Any) -> int:
    query = count_query(export, tenant_id=TENANT)
    with psycopg.connect(database_url) as conn:
        row = conn.execute(query.sql, query.params).fetchone()
    assert row is not None
    count: int = row[0]
    return count


@settings(max_examples=60, deadline=None, suppress_health_check=SHARED_DATABASE)
@given(title=titles, filters=filter_values)
def test_an_accepted_export_counts_and_renders_as_csv_and_xlsx(
    seeded: str, title: str | None, filters: dict[str, Any]
) -> None:
    for export_format in (ExportFormat.CSV, ExportFormat.XLSX):
        accepted = accepted_export(export_format, title, filters)
        if accepted is None:
            return
        request, export = accepted
        rows = counted(seeded, export)

        sink, written = render(seeded, request, export)

        assert written == rows
        if export_format is ExportFormat.XLSX:
            sheet = load_workbook(sink, read_only=True).active
            assert sheet is not None
            first = next(sheet.iter_rows(max_row=1, values_only=True))
            assert first[0] == (escape_formula(title) if title else "Order ID")
        else:
            records = list(csv.reader(io.StringIO(sink.getvalue().decode("utf-8"), newline="")))
            assert len(records) == rows + 1


@settings(max_examples=10, deadline=None, suppress_health_check=SHARED_DATABASE)
@given(title=titles, filters=filter_values)
def test_an_accepted_export_renders_as_pdf(
    seeded: str, title: str | None, filters: dict[str, Any]
) -> None:
    accepted = accepted_export(ExportFormat.PDF, title, filters)
    if accepted is None:
        return
    request, export = accepted

    sink, written = render(seeded, request, export)

    assert written == counted(seeded, export)
    metadata = PdfReader(sink).metadata
    assert metadata is not None
    assert metadata.title == escape_formula(title or DEFAULT_TITLE)
