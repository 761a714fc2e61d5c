"""How every command prints: a table or `label: value` lines for people, one JSON
document with --json for programs. Pure formatting; the commands echo what it returns."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

# What a missing or unknown value reads as in a table.
NOTHING = "-"

json_option: Callable[[F], F] = click.option(
    "--json", "as_json", is_flag=True, help="One JSON document instead of text."
)


def as_json(document: Any) -> str:
    return json.dumps(document, indent=2, sort_keys=False, default=str)


def cell(value: Any) -> str:
    if value is None or value == "":
        return NOTHING
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Columns left-aligned to their widest cell, numbers right-aligned (a column whose
    values are all numbers or missing), no trailing blanks."""
    texts = [[cell(value) for value in row] for row in rows]
    widths = [
        max([len(header), *(len(row[column]) for row in texts)])
        for column, header in enumerate(headers)
    ]
    numeric = [_numeric([row[column] for row in rows]) for column in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        padded = [
            value.rjust(width) if right else value.ljust(width)
            for value, width, right in zip(values, widths, numeric, strict=True)
        ]
        return "  ".join(padded).rstrip()

    return "\n".join([line(list(headers)), *(line(row) for row in texts)])


def _numeric(values: Sequence[Any]) -> bool:
    present = [value for value in values if value is not None]
    return bool(present) and all(
        isinstance(value, int | float) and not isinstance(value, bool) for value in present
    )


def fields(labelled: Sequence[tuple[str, Any]]) -> str:
    """`label: value` lines, aligned, without the values that are not there."""
    present = [(label, value) for label, value in labelled if value is not None and value != ""]
    if not present:
        return ""
    width = max(len(label) for label, _ in present) + 1
    return "\n".join(f"{label + ':':<{width}} {cell(value)}" for label, value in present)


def age(seconds: float | None) -> str:
    """A duration as people read it: 42s, 5m 03s, 3h 07m, 2d 04h."""
    if seconds is None:
        return NOTHING
    whole = max(int(seconds), 0)
    days, rest = divmod(whole, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours:02d}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def size(count: int | None) -> str:
    """A byte count in the largest unit that keeps it at least 1 (1024-based)."""
    if count is None:
        return NOTHING
    if count < 1024:
        return f"{count} B"
    value = count / 1024
    for unit in ("KiB", "MiB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"
