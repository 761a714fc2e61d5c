"""The XLSX writer: typed cells, a styled frozen header, escaped text, a non-seekable sink."""

from __future__ import annotations

import io
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, cast

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from conveyor_common.exports.registry import Column, ColumnType
from conveyor_processor.exports.writers.xlsx import (
    DATE_FORMAT,
    DATETIME_FORMAT,
    MONEY_FORMAT,
    PROGRESS_EVERY_ROWS,
    TITLE_FONT_SIZE_POINTS,
    write_xlsx,
)
from conveyor_processor.jobs.failures import Cancelled

COLUMNS = (
    Column("orderId", "Order ID", ColumnType.UUID, "o.order_id", width=38),
    Column("name", "Customer", ColumnType.TEXT, "o.customer_name", width=24),
    Column("items", "Items", ColumnType.INTEGER, "o.items", width=7),
    Column("total", "Total", ColumnType.MONEY, "o.total_amount", width=14),
    Column("createdAt", "Created at", ColumnType.DATETIME, "o.created_at", width=22),
    Column("due", "Due", ColumnType.DATE, "o.due", width=12),
    Column("ratio", "Ratio", ColumnType.DECIMAL, "o.ratio", width=8),
)
ORDER_ID = uuid.UUID("0b7c1f5e-2d43-4a8e-9a61-3f1f2f0c9d11")
CET = timezone(timedelta(hours=1))


class UploadSink:
    """Like an S3 multipart upload: write, flush and tell, but no seek."""

    def __init__(self) -> None:
        self._buffer = io.BytesIO()

    def write(self, data: bytes) -> int:
        return self._buffer.write(data)

    def flush(self) -> None:
        pass

    def tell(self) -> int:
        return self._buffer.tell()

    def writable(self) -> bool:
        return True

    def getvalue(self) -> bytes:
        return self._buffer.getvalue()


def a_row(**overrides: Any) -> tuple[Any, ...]:
    values = {
        "orderId": ORDER_ID,
        "name": "Ada Lovelace",
        "items": 3,
        "total": Decimal("1234.50"),
        "createdAt": datetime(2024, 5, 1, 13, 30, 15, tzinfo=CET),
        "due": date(2024, 6, 1),
        "ratio": Decimal("0.25"),
    }
    values.update(overrides)
    return tuple(values[column.name] for column in COLUMNS)


def export(
    rows: Sequence[tuple[Any, ...]], *, title: str | None = None
) -> tuple[Worksheet, int, list[int]]:
    sink, reported = UploadSink(), list[int]()
    written = write_xlsx(
        rows, columns=COLUMNS, sink=cast(BinaryIO, sink), title=title, progress=reported.append
    )
    sheet = load_workbook(io.BytesIO(sink.getvalue())).active
    assert isinstance(sheet, Worksheet)
    return sheet, written, reported


def test_header_is_bold_filled_and_frozen_below() -> None:
    # given one row and no title; when written
    sheet, _, _ = export([a_row()])
    # then row 1 is the styled header and the panes freeze under it
    header = sheet[1]
    assert [cell.value for cell in header] == [column.label for column in COLUMNS]
    assert all(cell.font.bold for cell in header)
    assert all(cell.fill.fill_type == "solid" for cell in header)
    assert sheet.freeze_panes == "A2"
    assert sheet.max_row == 2


def test_title_row_sits_above_the_frozen_header() -> None:
    # given a title; when written
    sheet, _, _ = export([a_row()], title="Orders in May")
    # then row 1 holds the bold, larger title, and the header moves to row 2
    title = sheet["A1"]
    assert title.value == "Orders in May"
    assert title.font.bold
    assert title.font.size == TITLE_FONT_SIZE_POINTS
    assert sheet["A2"].value == "Order ID"
    assert sheet.freeze_panes == "A3"
    assert sheet["A3"].value == str(ORDER_ID)


def test_cells_keep_their_types_and_formats() -> None:
    # given a row of every column type; when written and read back
    sheet, _, _ = export([a_row()])
    order_id, name, items, total, created_at, due, ratio = sheet[2]
    # then numbers are numbers, money and times carry number formats, times are UTC
    assert order_id.value == str(ORDER_ID)
    assert order_id.data_type == "s"
    assert name.value == "Ada Lovelace"
    assert items.value == 3
    assert items.data_type == "n"
    assert total.value == pytest.approx(1234.5)
    assert total.data_type == "n"
    assert total.number_format == MONEY_FORMAT
    assert created_at.value == datetime(2024, 5, 1, 12, 30, 15)
    assert created_at.number_format == DATETIME_FORMAT
    assert due.value == datetime(2024, 6, 1)
    assert due.number_format == DATE_FORMAT
    assert ratio.value == pytest.approx(0.25)


def test_missing_values_are_empty_cells() -> None:
    # given a row of nulls; when written
    nulls = dict.fromkeys((column.name for column in COLUMNS), None)
    sheet, _, _ = export([a_row(**nulls)])
    # then every cell of the row is empty
    assert [cell.value for cell in sheet[2]] == [None] * len(COLUMNS)


def test_column_widths_come_from_the_declarations() -> None:
    # given declared widths; when written
    sheet, _, _ = export([a_row()])
    # then each column is that wide
    widths = [sheet.column_dimensions[letter].width for letter in "ABCDEFG"]
    assert widths == [column.width for column in COLUMNS]


@pytest.mark.parametrize("text", ["=1+1", "+31 6 1234", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_text_that_could_run_as_a_formula_is_escaped(text: str) -> None:
    # given a text cell starting with a formula trigger; when written
    sheet, _, _ = export([a_row(name=text)], title=text)
    # then the text, title included, is prefixed with a quote and stays text
    assert sheet["B3"].value == "'" + text
    assert sheet["B3"].data_type == "s"
    assert sheet["A1"].value == "'" + text


def test_negative_numbers_stay_numbers() -> None:
    # given negative numbers; when written
    sheet, _, _ = export([a_row(items=-2, total=Decimal("-5.00"))])
    # then they are numbers, not escaped text
    assert sheet["C2"].value == -2
    assert sheet["D2"].value == pytest.approx(-5.0)


def test_error_like_text_and_control_characters_stay_plain_text() -> None:
    # given text that looks like an error value, and text with a control character
    sheet, _, _ = export([a_row(name="#N/A"), a_row(name="bell\x07here")])
    # then both are written as text, the control character replaced
    assert sheet["B2"].value == "#N/A"
    assert sheet["B2"].data_type == "s"
    assert sheet["B3"].value == "bell\N{REPLACEMENT CHARACTER}here"


def test_progress_is_reported_every_thousand_rows_and_at_the_end() -> None:
    # given 2,500 rows; when written
    rows = [a_row(items=index) for index in range(2500)]
    sheet, written, reported = export(rows)
    # then every row is written in order and progress was reported along the way
    assert written == 2500
    assert sheet.max_row == 2501
    assert sheet["C2501"].value == 2499
    assert reported == [PROGRESS_EVERY_ROWS, 2 * PROGRESS_EVERY_ROWS, 2500]


def test_a_failed_export_leaves_no_temporary_sheet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given rows that fail part-way, with temporary files going to an empty folder
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    def failing_rows() -> Iterator[tuple[Any, ...]]:
        yield a_row()
        raise ConnectionError("database went away")

    # when written; then the error surfaces and openpyxl's sheet buffer is gone
    with pytest.raises(ConnectionError):
        write_xlsx(
            failing_rows(),
            columns=COLUMNS,
            sink=cast(BinaryIO, UploadSink()),
            title=None,
            progress=lambda rows: None,
        )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("ending", ["completed", "cancelled"])
def test_the_sheet_buffer_is_gone_however_the_export_ends(
    ending: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given temporary files go to an empty folder, and a cancel may arrive at a progress report
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    buffers: list[list[Path]] = []

    def progress(rows: int) -> None:
        buffers.append(list(tmp_path.iterdir()))
        if ending == "cancelled":
            raise Cancelled

    # when
    try:
        write_xlsx(
            (a_row() for _ in range(PROGRESS_EVERY_ROWS)),
            columns=COLUMNS,
            sink=cast(BinaryIO, UploadSink()),
            title=None,
            progress=progress,
        )
    except Cancelled:
        assert ending == "cancelled"

    # then the buffer existed while rows arrived, and nothing is left
    assert len(buffers[0]) == 1
    assert list(tmp_path.iterdir()) == []
