"""What a parser reads from a file: one order as the file gave it, before the order rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from conveyor_processor.imports.rejections import Rejection
from conveyor_processor.jobs.failures import ReadableFailure


class FileUnreadable(ReadableFailure):
    """The file cannot be parsed at all; the message locates the problem."""


# What a reader adds when the file's lines seem to end with CR alone (old Mac line
# endings): the readers split lines at LF, so such a file reads as one long line.
CR_ALONE = "its lines seem to end with CR alone: save the file with LF or CRLF line endings"


@dataclass(frozen=True)
class FileOrder:
    """One order of a file, or a row that is no order at all (`request` None).

    `request` is what conveyor_common.orders.decode_order_request takes: a JSON order's
    bytes without its orderId, or a CSV order's cells as a mapping.
    """

    line: int
    order_ref: str
    request: bytes | Mapping[str, Any] | None
    # Data rows it was read from: CSV lines, or 1 for a JSON order.
    rows: int = 1
    # The line of each item (CSV), for locating an item's problem.
    item_lines: tuple[int, ...] = ()
    # Problems found while reading it (a blank row, a cell that conflicts...).
    problems: tuple[Rejection, ...] = ()
    # The row's original values, per line, for the error report.
    values: Mapping[int, tuple[str, ...]] = field(default_factory=dict)
    # The name a CSV column gives to a field of the order (JSON: the field itself).
    columns: Mapping[str, str] = field(default_factory=dict)
