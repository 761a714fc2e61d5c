"""How deep a JSON order nests, checked without ever building what lies beyond the limit.

A JSON array's elements are built from the streaming parser's low-level events
(`ijson.basic_parse`): `ijson.items` keeps a path string per event, so its memory and time
grow with the square of the nesting (15,000 levels took 550 MB). A JSON Lines member is
measured on its bytes, before the order decoder recurses into it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

_STARTS = frozenset({"start_map", "start_array"})
_ENDS = frozenset({"end_map", "end_array"})
# What stands, in a built element, for a part nested too deep to be read.
CUT = "…"

# A JSON string, escapes included (the bytes are valid JSON when this is applied).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_INNERMOST = re.compile(rb"\[\]|\{\}")
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))

Event = tuple[str, Any]


@dataclass(frozen=True)
class Element:
    """One element of a JSON array: `cut_under` names the order's member under which a part
    nested too deep was cut ("" when the element is no object), None when nothing was."""

    value: Any
    cut_under: str | None = None


def array_elements(events: Iterator[Event], *, limit: int) -> Iterator[Element]:
    """Each element of the top-level array `events` describe, built at most `limit`
    containers deep. The events are read to their end, so that the parser also refuses
    what follows the array."""
    next(events, None)  # the array's own start: the stream was checked to open with '['
    for event, value in events:
        if event in _STARTS:
            yield _element(event, events, limit=limit)
        elif event not in _ENDS:
            yield Element(value)


def _element(first: str, events: Iterator[Event], *, limit: int) -> Element:
    """A container and everything in it, parts deeper than `limit` replaced with CUT.

    Built here rather than by ijson.ObjectBuilder, which takes three times as long."""
    top: Any = {} if first == "start_map" else []
    stack = [top]
    key = member = ""
    cut_under: str | None = None
    for event, value in events:
        if event == "map_key":
            key = value
            member = value if len(stack) == 1 else member
            continue
        if event in _ENDS:
            stack.pop()
            if not stack:
                return Element(top, cut_under)
            top = stack[-1]
            continue
        if event in _STARTS:
            if len(stack) < limit:
                value = {} if event == "start_map" else []
            else:
                _skip_container(events)
                value, cut_under = CUT, member if cut_under is None else cut_under
        if type(top) is dict:
            top[key] = value
        else:
            top.append(value)
        if type(value) is dict or type(value) is list:
            stack.append(value)
            top = value
    return Element(stack[0], cut_under)  # unreachable: the parser fails an unclosed container


def _skip_container(events: Iterator[Event]) -> None:
    """Reads past the container just started, building nothing."""
    depth = 1
    for event, _ in events:
        if event in _STARTS:
            depth += 1
        elif event in _ENDS:
            depth -= 1
            if not depth:
                return


def nested_deeper_than(raw: bytes, limit: int) -> bool:
    """Whether the JSON value `raw` (valid JSON) nests more than `limit` containers deep."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False  # the common case: too few containers to nest that deep
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    for _ in range(limit):
        # Each pass removes every innermost container: one level of nesting.
        brackets = _INNERMOST.sub(b"", brackets)
    return bool(brackets)
