"""Every rejected line is in the error report, with its own values: a CSV order of several
lines rejected for one of them, a duplicate order of several lines, any file at all."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from conveyor_common.cells import FORMULA_TRIGGERS
from conveyor_common.imports.model import RejectionCode
from conveyor_common.orders import MAX_ITEMS, Order
from conveyor_processor.imports.csv_orders import csv_orders
from conveyor_processor.imports.file_order import FileOrder
from conveyor_processor.imports.importer import Counts, FileImport, ImportTarget
from conveyor_processor.imports.ports import BatchOutcome
from conveyor_processor.imports.rejections import Rejection
from conveyor_processor.imports.report import MAX_PROBLEMS_PER_LINE, ErrorReport

NOW = datetime(2026, 5, 1, 9, tzinfo=UTC)
HEADER = "orderId,customerId,customerEmail,currency,sku,quantity,unitPrice"


class _Session:
    """Stores nothing; an order id seen before in the file is a duplicate."""

    def __init__(self) -> None:
        self._seen: set[uuid.UUID] = set()

    def apply(self, orders: Sequence[Order], *, write: bool) -> BatchOutcome:
        duplicates = set()
        for position, order in enumerate(orders):
            if order.order_id in self._seen:
                duplicates.add(position)
            self._seen.add(order.order_id)
        written = frozenset(range(len(orders))) - duplicates
        return BatchOutcome(duplicates=frozenset(duplicates), written=written)


def imported(*rows: str, batch_orders: int = 500) -> tuple[Counts, list[list[str]]]:
    """The counts and the report's rows (without its header) of a CSV file."""
    sink = io.BytesIO()

    @contextmanager
    def open_sink() -> Iterator[io.BytesIO]:
        yield sink

    header: list[str] = []
    lines = iter([HEADER + "\n", *(row + "\n" for row in rows)])
    with ErrorReport(open_sink, value_columns=HEADER.split(",")) as report:
        counts = FileImport(
            ImportTarget(tenant_id="acme", uploaded_at=NOW, write=False),
            session=_Session(),
            report=report,
            progress=lambda rows: None,
            batch_orders=batch_orders,
        ).run(csv_orders(lines, header=header))
    report_rows = list(csv.reader(io.StringIO(sink.getvalue().decode(), newline="")))
    return counts, report_rows[1:]


def test_an_order_of_several_lines_rejected_for_one_reports_each_line() -> None:
    counts, report = imported(
        "A,c,a@example.com,EUR,S1,1,1.00",  # 2
        "A,c,a@example.com,EUR,S2,0,1.00",  # 3: a quantity out of bounds
        "A,c,a@example.com,EUR,S3,1,2.00",  # 4
        "B,c,b@example.com,EUR,S1,1,1.00",  # 5: good
    )

    assert (counts.rows_total, counts.rows_rejected) == (4, 3)
    assert [row[:5] for row in report] == [
        ["2", "A", "", "order-rejected", "rejected with its order: see line 3"],
        ["3", "A", "quantity", "constraint-error", "Expected `int` >= 1"],
        ["4", "A", "", "order-rejected", "rejected with its order: see line 3"],
    ]
    # each line with its own values
    assert [row[5:] for row in report] == [
        ["A", "c", "a@example.com", "EUR", "S1", "1", "1.00"],
        ["A", "c", "a@example.com", "EUR", "S2", "0", "1.00"],
        ["A", "c", "a@example.com", "EUR", "S3", "1", "2.00"],
    ]


def test_the_other_lines_name_every_line_at_fault() -> None:
    _, report = imported(
        "A,c,a@example.com,EUR,S1,x,1.00",
        "A,c,a@example.com,EUR,S2,1,1.00",
        "A,c,a@example.com,EUR,S3,1,-1",
    )

    assert [(row[0], row[3], row[4]) for row in report if row[3] == "order-rejected"] == [
        ("3", "order-rejected", "rejected with its order: see lines 2, 4")
    ]


def test_a_duplicate_order_of_several_lines_reports_each_line() -> None:
    counts, report = imported(
        "A,c,a@example.com,EUR,S1,1,1.00",  # 2
        "B,c,b@example.com,EUR,S1,1,1.00",  # 3
        "A,c,a@example.com,EUR,S1,1,1.00",  # 4: A again
        "A,c,a@example.com,EUR,S2,2,1.00",  # 5
    )

    assert (counts.rows_total, counts.rows_rejected) == (4, 2)
    assert [row[:4] for row in report] == [
        ["4", "A", "orderId", str(RejectionCode.DUPLICATE_ORDER)],
        ["5", "A", "orderId", str(RejectionCode.DUPLICATE_ORDER)],
    ]
    assert [row[9] for row in report] == ["S1", "S2"]


_cells = st.fixed_dictionaries(
    {
        "orderId": st.sampled_from(["A", "B", "C", "", " "]),
        "customerId": st.sampled_from(["c", "", "x" * 130]),
        "customerEmail": st.sampled_from(["a@example.com", "bad", ""]),
        "currency": st.sampled_from(["EUR", "ZZZ", ""]),
        "sku": st.sampled_from(["S1", "", "\x07"]),
        "quantity": st.sampled_from(["1", "0", "x", ""]),
        "unitPrice": st.sampled_from(["1.00", "1.001", "-1", "abc", ""]),
    }
)
_row = st.one_of(
    _cells.map(lambda cells: ",".join(cells.values())),
    st.just(""),
    _cells.map(lambda cells: ",".join(cells.values()) + ",extra"),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_row, max_size=12), st.integers(min_value=1, max_value=4))
def test_the_report_has_exactly_the_rejected_lines(rows: list[str], batch_orders: int) -> None:
    counts, report = imported(*rows, batch_orders=batch_orders)

    assert len({row[0] for row in report}) == counts.rows_rejected
    assert all(row[3] and row[4] for row in report), "every row says why"
    assert counts.rows_total == len(rows)


def test_cells_that_would_run_as_formulas_are_kept_as_text() -> None:
    _, report = imported(
        "=cmd|' /C calc'!A0,c,a@example.com,ZZZ,@SUM(A1),-2+3,+1+1",
    )

    assert {row[2] for row in report} == {"quantity", "unitPrice", "currency"}
    for row in report:
        assert row[:2] == ["2", "'=cmd|' /C calc'!A0"]
        assert row[5:] == [
            "'=cmd|' /C calc'!A0",
            "c",
            "a@example.com",
            "ZZZ",
            "'@SUM(A1)",
            "'-2+3",
            "'+1+1",
        ]


_hostile_text = st.text(st.sampled_from("=+-@\t\r,\"'a1 "), max_size=6)


@settings(max_examples=200, deadline=None)
@given(st.lists(_hostile_text, min_size=7, max_size=7))
def test_no_report_cell_starts_as_a_formula(cells: list[str]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)

    _, report = imported(buffer.getvalue().removesuffix("\r\n"))

    assert not [cell for row in report for cell in row[1:] if cell.startswith(FORMULA_TRIGGERS)]


def test_a_line_lists_at_most_its_cap_of_problems_then_says_how_many_more() -> None:
    sink = io.BytesIO()

    @contextmanager
    def open_sink() -> Iterator[io.BytesIO]:
        yield sink

    problems = [
        Rejection(
            line=7,
            order_ref="J-1",
            field=f"k{n}",
            code=RejectionCode.UNKNOWN_FIELD,
            message=f"Object contains unknown field `k{n}`",
        )
        for n in range(MAX_PROBLEMS_PER_LINE + 40)
    ]
    other = Rejection(
        line=9, order_ref="J-2", field="sku", code=RejectionCode.MISSING_FIELD, message="missing"
    )
    read = FileOrder(line=7, order_ref="J-1", request=None, values={7: ("{...}",), 9: ("x",)})
    with ErrorReport(open_sink, value_columns=["order"]) as report:
        report.add(read, [*problems, other])
    rows = list(csv.reader(io.StringIO(sink.getvalue().decode(), newline="")))[1:]

    line_7 = [row for row in rows if row[0] == "7"]
    assert [row[2] for row in line_7[:-1]] == [f"k{n}" for n in range(MAX_PROBLEMS_PER_LINE)]
    assert line_7[-1] == [
        "7",
        "J-1",
        "",
        "unknown-field",
        "and 40 more problems on line 7, not listed",
        "{...}",
    ]
    assert [row for row in rows if row[0] == "9"] == [
        ["9", "J-2", "sku", "missing-field", "missing", "x"]
    ]


def test_an_order_past_its_item_limit_reports_every_line_holding_few_of_them() -> None:
    # given one order of MAX_ITEMS + 3 lines, then a good one
    long_order = [f"L,c,l@example.com,EUR,S{n},1,1.00" for n in range(MAX_ITEMS + 3)]
    orders = list(
        csv_orders(
            iter([HEADER + "\n", *(row + "\n" for row in long_order), "B,c,b@x.io,EUR,S,1,1\n"])
        )
    )
    # then the reader holds at most MAX_ITEMS + 1 of its lines: the rest come one by one
    assert [order.rows for order in orders] == [MAX_ITEMS + 1, 1, 1, 1]
    counts, report = imported(*long_order, "B,c,b@example.com,EUR,S1,1,1.00")
    # and every one of its lines is rejected and reported, the good order taken
    assert (counts.rows_total, counts.rows_rejected) == (MAX_ITEMS + 4, MAX_ITEMS + 3)
    assert [int(row[0]) for row in report] == list(range(2, MAX_ITEMS + 5))
    assert {row[1] for row in report} == {"L"}
    assert report[-1][3:5] == [
        "order-rejected",
        f"rejected with its order, from line 2: more than {MAX_ITEMS} items",
    ]
    assert any(row[2] == "items" for row in report)
