"""Orders from a CSV file with a header row: one line per item, consecutive lines sharing
orderId forming one order (conveyor_common.imports.model.CSV_COLUMNS)."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from typing import Any

from conveyor_common.imports.model import (
    CSV_COLUMNS,
    CSV_OPTIONAL_COLUMNS,
    ORDER_REF_FIELD,
    RejectionCode,
)
from conveyor_common.orders import MAX_ITEMS
from conveyor_processor.imports.file_order import CR_ALONE, FileOrder, FileUnreadable
from conveyor_processor.imports.rejections import Rejection

# The order's own cells: read from an order's first line, repeated (or blank) on the others.
HEADING_COLUMNS = ("customerId", "customerEmail", "customerName", "currency", "totalAmount")
# An item's cells, under the names of the order request's item fields.
ITEM_FIELDS = {"sku": "sku", "itemName": "name", "quantity": "quantity", "unitPrice": "unitPrice"}
# Where the order request's item fields are in the file, for locating their problems.
COLUMN_OF_FIELD = {"name": "itemName"}

_Line = tuple[int, list[str]]
# How the csv module says that a line ended with CR alone (old Mac line endings).
_LONE_CR = "new-line character seen in unquoted field"


def csv_orders(lines: Iterator[str], *, header: list[str] | None = None) -> Iterator[FileOrder]:
    """Each order (or rejected line) in the file's order; FileUnreadable when the file
    has no usable header. `header` receives the file's column names."""
    reader = csv.reader(lines, strict=True)
    columns = _header(reader)
    if header is not None:
        header[:] = columns
    orders = _Grouping(columns)
    for line, cells in _records(reader):
        yield from orders.add(line, cells)
    yield from orders.flush()


class _Grouping:
    """Consecutive lines sharing an orderId, as orders. An order of more than MAX_ITEMS
    lines is refused for its length whatever else it holds: it is handed on at
    MAX_ITEMS + 1 lines, and each further line of it is reported on its own rather than
    held, so that memory does not grow with one order's length."""

    def __init__(self, columns: Sequence[str]) -> None:
        self._columns = columns
        # A required column: the header has it.
        self._ref_at = columns.index(ORDER_REF_FIELD)
        self._group: list[_Line] = []
        self._ref = ""
        self._first_line = 0
        self._past_the_items = False

    def add(self, line: int, cells: list[str]) -> Iterator[FileOrder]:
        ref = _ref(cells, self._ref_at)
        # A line with an orderId is not blank: the cells are looked at only without one.
        if not ref and not any(cell.strip() for cell in cells):
            yield from self.flush()
            self._past_the_items = False
            yield _blank_row(line, cells)
            return
        if self._past_the_items and ref == self._ref:
            yield _past_the_items(line, cells, ref=ref, first_line=self._first_line)
            return
        self._past_the_items = False
        if self._group and ref != self._ref:
            yield from self.flush()
        if not self._group:
            self._first_line = line
        self._group.append((line, cells))
        self._ref = ref
        if len(self._group) > MAX_ITEMS:
            yield from self.flush()
            self._past_the_items = True

    def flush(self) -> Iterator[FileOrder]:
        if self._group:
            yield _order(self._group, self._columns)
            self._group = []


def _records(reader: Any) -> Iterator[_Line]:
    end = reader.line_num
    try:
        for cells in reader:
            yield end + 1, cells
            end = reader.line_num
    except csv.Error as exc:
        problem = _csv_problem(exc)
        raise FileUnreadable(
            f"the CSV file is malformed at line {reader.line_num}: {problem}"
        ) from exc


def _header(reader: Any) -> list[str]:
    try:
        names = [name.strip() for name in next(reader)]
    except StopIteration:
        raise FileUnreadable("the file is empty: it has no header row") from None
    except csv.Error as exc:
        raise FileUnreadable(f"the CSV header is malformed: {_csv_problem(exc)}") from exc
    for name in names:
        if name not in CSV_COLUMNS:
            raise FileUnreadable(f"the header has an unknown column {name!r}")
        if names.count(name) > 1:
            raise FileUnreadable(f"the header has the column {name!r} twice")
    for name in CSV_COLUMNS:
        if name not in names and name not in CSV_OPTIONAL_COLUMNS:
            raise FileUnreadable(f"the header lacks the column {name!r}")
    return names


def _csv_problem(exc: csv.Error) -> str:
    """The csv module's complaint, in words an uploader can act on where it has none."""
    if _LONE_CR in str(exc):
        return CR_ALONE
    return str(exc)


def _ref(cells: Sequence[str], ref_at: int) -> str:
    # Trimmed, as the order's reference is; a line too short to have one has none.
    return cells[ref_at].strip() if ref_at < len(cells) else ""


def _cells(cells: Sequence[str], columns: Sequence[str]) -> dict[str, str]:
    """The line's non-blank cells by column, trimmed (blank is no value, as in the API).

    Trimmed here, not only by the text rules: spreadsheets and hand-written files pad
    cells (`A, c1, 2`), and a number's cell (" 2") is read from its text, which
    would refuse the spaces; a later line's " EUR" is the first line's "EUR"."""
    kept = ((name, cell.strip()) for name, cell in zip(columns, cells, strict=False))
    return {name: cell for name, cell in kept if cell}


def _blank_row(line: int, cells: list[str]) -> FileOrder:
    blank = Rejection(
        line=line, order_ref="", field="", code=RejectionCode.BLANK_ROW, message="the line is blank"
    )
    return FileOrder(
        line=line, order_ref="", request=None, problems=(blank,), values={line: tuple(cells)}
    )


def _past_the_items(line: int, cells: list[str], *, ref: str, first_line: int) -> FileOrder:
    rejected = Rejection(
        line=line,
        order_ref=ref,
        field="",
        code=RejectionCode.ORDER_REJECTED,
        message=f"rejected with its order, from line {first_line}: more than {MAX_ITEMS} items",
    )
    return FileOrder(
        line=line, order_ref=ref, request=None, problems=(rejected,), values={line: tuple(cells)}
    )


def _order(group: list[_Line], columns: Sequence[str]) -> FileOrder:
    first_line, first = group[0][0], _cells(group[0][1], columns)
    ref = first.get(ORDER_REF_FIELD, "")
    width = len(columns)
    problems = [_too_wide(line, ref, cells, width) for line, cells in group if len(cells) > width]
    items = [_item(first)]
    # Each later line's cells by column, built once for its item and its checks, and
    # not kept: an order may have a great many lines.
    for line, raw in group[1:]:
        cells = _cells(raw, columns)
        items.append(_item(cells))
        problems += _conflicts(line, cells, ref=ref, first=first, first_line=first_line)
    request: dict[str, Any] = {name: first[name] for name in HEADING_COLUMNS if name in first}
    request["items"] = items
    return FileOrder(
        line=first_line,
        order_ref=ref,
        request=request,
        rows=len(group),
        item_lines=tuple(line for line, _ in group),
        problems=tuple(problems),
        values={line: tuple(cells) for line, cells in group},
        columns=COLUMN_OF_FIELD,
    )


def _item(cells: dict[str, str]) -> dict[str, str]:
    return {field: cells[column] for column, field in ITEM_FIELDS.items() if column in cells}


def _too_wide(line: int, ref: str, cells: list[str], width: int) -> Rejection:
    message = f"the line has {len(cells)} values but the header {width} columns"
    return Rejection(
        line=line, order_ref=ref, field="", code=RejectionCode.UNKNOWN_COLUMN, message=message
    )


def _conflicts(
    line: int, cells: dict[str, str], *, ref: str, first: dict[str, str], first_line: int
) -> list[Rejection]:
    """A later line's order cells: blank, or the same as on the order's first line."""
    return [
        Rejection(
            line=line,
            order_ref=ref,
            field=name,
            code=RejectionCode.CONSTRAINT_ERROR,
            message=f"differs from the order's first line ({first_line})",
        )
        for name, value in cells.items()
        if name in HEADING_COLUMNS and value != first.get(name)
    ]
