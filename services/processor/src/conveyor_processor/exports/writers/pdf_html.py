"""The HTML of one PDF chunk: cell text per column type, and the Jinja template.

Pure: rows in, an HTML string out. Every chunk is a table with its own header
row (repeated on each page); only the first chunk carries the title block.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import jinja2

from conveyor_common.cells import escape_formula
from conveyor_common.exports.registry import Column, ColumnType

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
NO_FILTERS_TEXT = "none (all rows)"
DEFAULT_TITLE = "Data export"

_environment = jinja2.Environment(
    loader=jinja2.PackageLoader("conveyor_processor.exports.writers", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
)


@dataclass(frozen=True)
class TableColumn:
    label: str
    width_percent: float
    numeric: bool


@dataclass(frozen=True)
class Heading:
    """The first page's block: the title, the filters used and when the file was made."""

    title: str
    filters: str
    generated_at: str


def table_columns(columns: Sequence[Column]) -> list[TableColumn]:
    total_width = sum(column.width for column in columns) or 1
    return [
        TableColumn(
            label=escape_formula(column.label),
            width_percent=round(100 * column.width / total_width, 3),
            numeric=column.type in _NUMERIC,
        )
        for column in columns
    ]


def heading(*, title: str | None, filters: Mapping[str, Any], generated_at: datetime) -> Heading:
    return Heading(
        title=escape_formula(title or DEFAULT_TITLE),
        filters=describe_filters(filters),
        generated_at=generated_at.astimezone(UTC).strftime(TIME_FORMAT) + " UTC",
    )


def describe_filters(filters: Mapping[str, Any]) -> str:
    if not filters:
        return NO_FILTERS_TEXT
    return "; ".join(f"{name}: {_describe(value)}" for name, value in sorted(filters.items()))


def cell_formatters(columns: Sequence[Column]) -> list[Callable[[Any], str]]:
    return [_FORMATTERS.get(column.type, _plain) for column in columns]


def chunk_html(
    rows: Sequence[Sequence[str]], *, columns: Sequence[TableColumn], heading: Heading | None
) -> str:
    title = heading.title if heading else ""
    return _environment.get_template("pdf_table.html").render(
        title=title, heading=heading, columns=columns, rows=rows
    )


def _describe(value: Any) -> str:
    if isinstance(value, Mapping):
        bounds = [f"{bound} {value[bound]}" for bound in ("from", "to") if bound in value]
        return " ".join(bounds)
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return str(value)


def _plain(value: Any) -> str:
    return "" if value is None else str(value)


def _text(value: Any) -> str:
    return "" if value is None else escape_formula(str(value))


def _money(value: Any) -> str:
    return "" if value is None else f"{value:,.2f}"


def _datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime(TIME_FORMAT)


def _date(value: date | None) -> str:
    return "" if value is None else value.isoformat()


_NUMERIC = frozenset({ColumnType.INTEGER, ColumnType.DECIMAL, ColumnType.MONEY})
_FORMATTERS: dict[ColumnType, Callable[[Any], str]] = {
    ColumnType.TEXT: _text,
    ColumnType.MONEY: _money,
    ColumnType.DATETIME: _datetime,
    ColumnType.DATE: _date,
}
