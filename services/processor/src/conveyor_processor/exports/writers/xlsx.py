"""XLSX writer: openpyxl in write-only mode, typed cells, a styled frozen header.

openpyxl keeps the sheet's XML in a temporary file while rows arrive (about
280 MB at 500,000 rows) and zips it into the sink on save. The file lands in
`tempfile.tempdir` (openpyxl takes no directory), which the processor points at
its own directory (conveyor_processor.exports.temp_dir); it is removed when the
write ends, whatever the reason. The zip is written
with data descriptors, so the sink only needs `write` and `tell`: no seeking.

The per-row path is the hot loop, so every column gets its converter once:
numbers pass through, money and times go into one reused styled cell per
column (a fresh styled cell per value costs far more), text is escaped.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from conveyor_common.cells import escape_formula
from conveyor_common.exports.registry import Column, ColumnType

PROGRESS_EVERY_ROWS = 1000
SHEET_NAME = "Export"
MONEY_FORMAT = "#,##0.00"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
DATE_FORMAT = "yyyy-mm-dd"
HEADER_FILL_RGB = "D9E1F2"
TITLE_FONT_SIZE_POINTS = 14
# Excel's serial dates count days from 1899-12-30 (valid from 1900-03-01 on).
_EXCEL_EPOCH_UTC = datetime(1899, 12, 30, tzinfo=UTC)
_EXCEL_EPOCH_DATE = date(1899, 12, 30)
_ONE_DAY = timedelta(days=1)
_ERROR_CODES = frozenset(ERROR_CODES)

Converter = Callable[[Any], Any]


def write_xlsx(
    rows: Iterable[Sequence[Any]],
    *,
    columns: Sequence[Column],
    sink: BinaryIO,
    title: str | None,
    progress: Callable[[int], None],
) -> int:
    """Write `rows` (typed values in `columns` order) as one sheet; returns the row count."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET_NAME)
    # Widths and panes go into the sheet's opening XML: set them before any row.
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    header_row = 2 if title else 1
    sheet.freeze_panes = f"A{header_row + 1}"
    try:
        if title:
            title_cell = WriteOnlyCell(sheet, escape_formula(title))
            title_cell.font = Font(bold=True, size=TITLE_FONT_SIZE_POINTS)
            sheet.append([title_cell])
        sheet.append(_header(sheet, columns))
        converters = [_converter(sheet, column) for column in columns]
        append = sheet.append
        written = 0
        for row in rows:
            append([convert(value) for convert, value in zip(converters, row, strict=True)])
            written += 1
            if written % PROGRESS_EVERY_ROWS == 0:
                progress(written)
        workbook.save(sink)
    finally:
        # A saved workbook removed its buffer already; any other ending leaves it.
        _discard_sheet_buffer(sheet)
    progress(written)
    return written


def _header(sheet: Any, columns: Sequence[Column]) -> list[Cell]:
    font = Font(bold=True)
    fill = PatternFill(fill_type="solid", start_color=HEADER_FILL_RGB, end_color=HEADER_FILL_RGB)
    edge = Side(style="thin")
    border = Border(bottom=edge)
    alignment = Alignment(vertical="center")
    cells = []
    for column in columns:
        cell = WriteOnlyCell(sheet, escape_formula(column.label))
        cell.font, cell.fill, cell.border, cell.alignment = font, fill, border, alignment
        cells.append(cell)
    return cells


def _converter(sheet: Any, column: Column) -> Converter:
    kind = column.type
    if kind is ColumnType.TEXT:
        return _text(sheet)
    if kind is ColumnType.UUID:
        return _uuid
    if kind is ColumnType.MONEY:
        return _styled(sheet, MONEY_FORMAT, _number)
    if kind is ColumnType.DATETIME:
        return _styled(sheet, DATETIME_FORMAT, _datetime_serial)
    if kind is ColumnType.DATE:
        return _styled(sheet, DATE_FORMAT, _date_serial)
    return _number


class _ReusedCell(Cell):
    """A cell handed to `append`: openpyxl formats its repr into an exception it then
    catches for every cell object in a row, so the repr is kept trivial."""

    __slots__ = ()
    # Cell's slot for the raw value, which openpyxl's stubs leave out.
    _value: Any

    def __repr__(self) -> str:
        return "<cell>"


def _styled(sheet: Any, number_format: str, serial: Converter) -> Converter:
    # openpyxl writes each appended row before the next arrives, so one cell per
    # column can carry every row's value; its style is resolved once.
    cell = _ReusedCell(sheet, row=1, column=1)
    cell.number_format = number_format

    def convert(value: Any) -> Any:
        if value is None:
            return None
        cell._value = serial(value)  # a number: skips openpyxl's type sniffing
        return cell

    return convert


def _number(value: Any) -> Any:
    return value


def _datetime_serial(value: datetime) -> float:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return (value - _EXCEL_EPOCH_UTC) / _ONE_DAY


def _date_serial(value: date) -> int:
    return (value - _EXCEL_EPOCH_DATE).days


def _uuid(value: Any) -> str | None:
    return None if value is None else str(value)


def _text(sheet: Any) -> Converter:
    def convert(value: str | None) -> Any:
        if value is None:
            return None
        value = escape_formula(value)
        if not value.isprintable() and ILLEGAL_CHARACTERS_RE.search(value):
            # Control characters are invalid in XLSX XML; openpyxl would refuse the row.
            value = ILLEGAL_CHARACTERS_RE.sub("\N{REPLACEMENT CHARACTER}", value)
        if value in _ERROR_CODES:
            # openpyxl would store text like "#N/A" as an error value; keep it text.
            cell = _ReusedCell(sheet, row=1, column=1)
            cell._value, cell.data_type = value, "s"
            return cell
        return value

    return convert


def _discard_sheet_buffer(sheet: Any) -> None:
    # openpyxl deletes its temporary sheet file after a successful save, and
    # otherwise only at interpreter exit: a long-lived worker removes it itself.
    # Closing the sheet first ends its XML generators in order, not at random in GC.
    with contextlib.suppress(Exception):
        sheet.close()
    writer = getattr(sheet, "_writer", None)
    if writer is not None and os.path.exists(writer.out):
        writer.cleanup()
