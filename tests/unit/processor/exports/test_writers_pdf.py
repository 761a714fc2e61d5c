"""The PDF writer: chunks rendered by child processes, joined and numbered "Page X of Y"."""

from __future__ import annotations

import contextlib
import io
import os
import re
import signal
import tempfile
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, cast

import psutil
import pytest
from pypdf import PdfReader

from conveyor_common.exports.registry import Column, ColumnType
from conveyor_processor.exports.writers import pdf_chunk
from conveyor_processor.exports.writers.pdf import PdfRenderFailed, stopped_reason, write_pdf
from conveyor_processor.exports.writers.pdf_html import (
    NO_FILTERS_TEXT,
    cell_formatters,
    describe_filters,
)

COLUMNS = (
    Column("orderId", "Order ID", ColumnType.UUID, "o.order_id", width=38),
    Column("name", "Customer", ColumnType.TEXT, "o.customer_name", width=24),
    Column("items", "Items", ColumnType.INTEGER, "o.items", width=7),
    Column("total", "Total", ColumnType.MONEY, "o.total_amount", width=14),
    Column("createdAt", "Created at", ColumnType.DATETIME, "o.created_at", width=22),
)
GENERATED_AT = datetime(2024, 6, 2, 8, 15, tzinfo=UTC)
FILTERS = {"status": ["PERSISTED", "SHIPPED"], "currency": "EUR"}
PAGE_FOOTER = re.compile(r"Page (\d+) of (\d+)")


class UploadSink(io.BytesIO):
    """Writes and tells like an S3 multipart upload, and refuses to seek."""

    def seekable(self) -> bool:
        return False

    def seek(self, offset: int, whence: int = 0) -> int:
        raise io.UnsupportedOperation("seek")


def order_rows(count: int, *, name: str = "Customer") -> list[tuple[Any, ...]]:
    created = datetime(2024, 5, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    return [
        (uuid.UUID(int=index), f"{name} {index}", index, Decimal("1234.5"), created)
        for index in range(count)
    ]


def render(
    rows: Sequence[Sequence[Any]], *, columns: Sequence[Column] = COLUMNS, **options: Any
) -> tuple[list[str], int, list[int]]:
    sink, reported = UploadSink(), list[int]()
    written = write_pdf(
        rows,
        columns=columns,
        sink=cast(BinaryIO, sink),
        title="Orders in May",
        filters=FILTERS,
        generated_at=GENERATED_AT,
        progress=reported.append,
        **options,
    )
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(sink.getvalue())).pages]
    return pages, written, reported


def footers(pages: Sequence[str]) -> list[tuple[int, int]]:
    found = [PAGE_FOOTER.findall(text) for text in pages]
    assert all(len(matches) == 1 for matches in found), found
    return [(int(number), int(total)) for [(number, total)] in found]


@pytest.fixture(scope="module")
def small_export() -> tuple[list[str], int, list[int]]:
    # 120 rows in chunks of 50, two chunks per renderer process: three chunks, two processes
    rows = order_rows(120)
    rows[7] = (uuid.UUID(int=7), "=HYPERLINK(1)", 7, Decimal("-3.00"), rows[7][4])
    return render(rows, chunk_rows=50, chunks_per_child=2)


def test_first_page_has_the_title_filters_and_generation_time(
    small_export: tuple[list[str], int, list[int]],
) -> None:
    # given a rendered export; when its first page is read
    first = small_export[0][0]
    # then it names the title, the filters used and when it was made
    assert "Orders in May" in first
    assert "currency: EUR; status: PERSISTED, SHIPPED" in first
    assert "2024-06-02 08:15:00 UTC" in first


def test_pages_are_numbered_page_x_of_y_across_chunks(
    small_export: tuple[list[str], int, list[int]],
) -> None:
    # given an export rendered in three chunks; when its footers are read
    pages, _, _ = small_export
    # then every page says where it is in the whole document, in order
    assert len(pages) > 3
    assert footers(pages) == [(number, len(pages)) for number in range(1, len(pages) + 1)]


def test_every_page_repeats_the_table_header(
    small_export: tuple[list[str], int, list[int]],
) -> None:
    # given a multi-page export; then each page, the second included, shows the table header
    pages, _, _ = small_export
    assert all("Order ID" in page and "Created at" in page for page in pages)
    assert "Orders in May" not in pages[1]


def test_every_row_appears_once_with_formatted_cells(
    small_export: tuple[list[str], int, list[int]],
) -> None:
    # given 120 rows; then all are written, in order, with money and UTC times formatted
    pages, written, reported = small_export
    text = "\n".join(pages)
    assert written == 120
    assert [int(found) for found in re.findall(r"Customer (\d+)", text)] == [
        index for index in range(120) if index != 7
    ]
    assert "1,234.50" in text
    assert "2024-05-01 12:00:00" in text
    assert reported[-1] == 120
    assert reported == sorted(reported)


def test_text_that_could_run_as_a_formula_is_escaped(
    small_export: tuple[list[str], int, list[int]],
) -> None:
    # given a text cell starting with "="; then it is shown with the quote prefix
    text = "\n".join(small_export[0])
    assert "'=HYPERLINK(1)" in text
    # and a negative number is not escaped
    assert "-3.00" in text
    assert "'-3.00" not in text


def test_numbering_stays_continuous_over_thousands_of_rows() -> None:
    # given 2,500 rows in default-sized chunks (a narrow table keeps rendering quick)
    narrow = COLUMNS[1:3]
    rows = [(f"Customer {index}", index) for index in range(2500)]
    # when rendered
    pages, written, _ = render(rows, columns=narrow)
    # then every page is numbered in sequence and the last row is on the last page
    assert written == 2500
    assert footers(pages) == [(number, len(pages)) for number in range(1, len(pages) + 1)]
    assert "Customer 2499" in pages[-1]


def test_an_empty_export_is_one_page_with_the_header() -> None:
    # given no rows; when rendered
    pages, written, reported = render([])
    # then one page holds the heading, the table header and "Page 1 of 1"
    assert written == 0
    assert reported[-1] == 0
    assert set(reported) == {0}
    assert len(pages) == 1
    assert "Order ID" in pages[0]
    assert footers(pages) == [(1, 1)]


def test_filters_are_described_in_name_order() -> None:
    # given filters of each kind; when described
    described = describe_filters(
        {"status": ["A", "B"], "createdAt": {"from": "2024-01-01", "to": "2024-02-01"}}
    )
    # then each reads as one clause, and no filters reads as all rows
    assert described == "createdAt: from 2024-01-01 to 2024-02-01; status: A, B"
    assert describe_filters({}) == NO_FILTERS_TEXT


def test_cells_are_formatted_per_column_type() -> None:
    # given a value of each type; when formatted
    columns = (*COLUMNS, Column("due", "Due", ColumnType.DATE, "o.due"))
    row = (uuid.UUID(int=1), "@cmd", -4, Decimal("1000"), GENERATED_AT, date(2024, 7, 1))
    formatted = [fmt(value) for fmt, value in zip(cell_formatters(columns), row, strict=True)]
    # then text is escaped, numbers stay plain, money is grouped, times are UTC
    assert formatted == [
        "00000000-0000-0000-0000-000000000001",
        "'@cmd",
        "-4",
        "1,000.00",
        "2024-06-02 08:15:00",
        "2024-07-01",
    ]
    assert [fmt(None) for fmt in cell_formatters(columns)] == [""] * len(columns)


def renderer_children() -> list[int]:
    """The pids of this process's PDF renderer children."""
    found = []
    for child in psutil.Process().children():
        with contextlib.suppress(psutil.NoSuchProcess):
            if pdf_chunk.__name__ in child.cmdline():
                found.append(child.pid)
    return found


def test_a_killed_renderer_is_reported_as_such_and_leaves_no_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given temporary files go to an empty folder, and the renderer child is killed
    # (as the OOM killer would) once the first chunk is done
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    killed: list[int] = []

    def kill_the_renderer(rows_so_far: int) -> None:
        if rows_so_far == 50 and not killed:
            killed.extend(renderer_children())
            assert len(killed) == 1
            os.kill(killed[0], signal.SIGKILL)

    # when
    with pytest.raises(PdfRenderFailed) as failed:
        write_pdf(
            order_rows(120),
            columns=COLUMNS,
            sink=cast(BinaryIO, UploadSink()),
            title=None,
            filters={},
            generated_at=GENERATED_AT,
            progress=kill_the_renderer,
            chunk_rows=50,
        )

    # then the reason says what happened, in words, and the chunk folder is gone
    assert str(failed.value) == "the PDF renderer stopped (killed by signal 9)"
    assert list(tmp_path.iterdir()) == []
    assert renderer_children() == []


def test_a_renderer_that_exited_by_itself_shows_its_last_words() -> None:
    assert stopped_reason(1, last_log_line="MemoryError") == (
        "the PDF renderer stopped (exit status 1): MemoryError"
    )
    assert stopped_reason(1) == "the PDF renderer stopped (exit status 1)"
    assert stopped_reason(-signal.SIGTERM, last_log_line="ignored") == (
        "the PDF renderer stopped (killed by signal 15)"
    )
