"""The error report: one CSV line per problem of a rejected row, streamed to S3, opened
at the first rejection (a file without one has no report).

Its text cells hold what the uploader sent, and the report is made to be opened in a
spreadsheet: they get the exports' formula escape, so a hostile cell stays text."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack
from itertools import groupby
from types import TracebackType
from typing import TYPE_CHECKING

import msgspec

from conveyor_common.cells import escape_formula
from conveyor_processor.imports.file_order import FileOrder
from conveyor_processor.imports.ports import Sink
from conveyor_processor.imports.rejections import Rejection

if TYPE_CHECKING:
    from _csv import Writer

REPORT_COLUMNS = ("line", "orderId", "field", "code", "message")
# The problems listed per line; one more row says how many are left out. Each row repeats
# the line's values, so without a cap a JSON order of many bad members would make a report
# that grows with the square of the line's length.
MAX_PROBLEMS_PER_LINE = 25


class _Text:
    """The text csv.writer writes, as UTF-8 bytes into the sink."""

    def __init__(self, sink: Sink) -> None:
        self._sink = sink

    def write(self, text: str) -> int:
        return self._sink.write(text.encode())


class ErrorReport:
    """Use as a context manager: a clean exit stores the report; an error leaves none."""

    def __init__(
        self, open_sink: Callable[[], AbstractContextManager[Sink]], *, value_columns: Sequence[str]
    ) -> None:
        self._open_sink = open_sink
        self._value_columns = value_columns
        self._stack = ExitStack()
        self._writer: Writer | None = None
        self.written = False

    def __enter__(self) -> ErrorReport:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stack.__exit__(exc_type, exc, traceback)

    def add(self, read: FileOrder, rejections: Sequence[Rejection]) -> None:
        writer = self._writer or self._open()
        for rejection in _listed(rejections):
            values = read.values.get(rejection.line, ())
            cells = [
                rejection.order_ref,
                rejection.field,
                rejection.code.value,
                rejection.message,
                *values,
            ]
            writer.writerow([rejection.line, *(escape_formula(cell) for cell in cells)])

    def _open(self) -> Writer:
        sink = self._stack.enter_context(self._open_sink())
        self._writer = csv.writer(_Text(sink), lineterminator="\r\n")
        self._writer.writerow([*REPORT_COLUMNS, *self._value_columns])
        self.written = True
        return self._writer


def _listed(rejections: Sequence[Rejection]) -> Iterator[Rejection]:
    """The rejections by line, at most MAX_PROBLEMS_PER_LINE of a line, then one that
    says how many more that line has."""
    for line, group in groupby(sorted(rejections, key=_line), key=_line):
        problems = list(group)
        listed = problems[:MAX_PROBLEMS_PER_LINE]
        yield from listed
        left_out = len(problems) - len(listed)
        if left_out:
            message = f"and {left_out} more problems on line {line}, not listed"
            yield msgspec.structs.replace(problems[len(listed)], field="", message=message)


def _line(rejection: Rejection) -> int:
    return rejection.line
