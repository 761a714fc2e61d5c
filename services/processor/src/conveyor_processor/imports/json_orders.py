"""Orders from JSON: a JSON Lines file (one order per line) or a JSON array read by a
streaming parser. Each order has the shape of POST /api/v1/orders's body plus orderId."""

from __future__ import annotations

import decimal
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing
from typing import Any

import ijson
import msgspec

from conveyor_common.imports.model import MAX_ORDER_NESTING, ORDER_REF_FIELD, RejectionCode
from conveyor_processor.imports.file_order import CR_ALONE, FileOrder, FileUnreadable
from conveyor_processor.imports.json_escapes import SurrogateEscapeGuard
from conveyor_processor.imports.json_nesting import Element, array_elements, nested_deeper_than
from conveyor_processor.imports.json_position import locate_json_error, long_digit_run_error
from conveyor_processor.imports.rejections import Rejection
from conveyor_processor.imports.source import (
    UTF8_BOM,
    CountingReader,
    DigitRunGuard,
    LongDigitRun,
    Readable,
)

# Decimals as JSON numbers: a file's 19.99 reaches the order decoder as the API gets it.
_ENCODER = msgspec.json.Encoder(decimal_format="number")
_MEMBERS = msgspec.json.Decoder(dict[str, msgspec.Raw])
_TEXT = msgspec.json.Decoder(str)
_AT_BYTE = re.compile(r"\(byte (?P<at>\d+)\)")
_NOT_AN_ORDER = "must be an object (an order)"
_TOO_DEEP = f"nests more than {MAX_ORDER_NESTING} levels deep (an order nests 3): not read"
_PEEK_BYTES = 64


def ndjson_orders(lines: Iterator[str]) -> Iterator[FileOrder]:
    """One order per non-blank line; FileUnreadable at the first line that is not JSON.
    A line nested too deep is a rejected row, as any other line that is no order."""
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            yield _blank(number, text)
            continue
        data, values = text.encode(), text.rstrip("\r\n")
        try:
            members = _MEMBERS.decode(data)
        except msgspec.ValidationError:
            yield _rejected(number, _NOT_AN_ORDER, values=values)
            continue
        except msgspec.DecodeError as exc:
            raise _malformed(number, data, exc) from exc
        except RecursionError:  # nested past what the decoder's recursion allows
            yield _too_deep(number, ref="", field="", values=values)
            continue
        yield _line_order(number, data, members, values=values)


def _line_order(
    number: int, data: bytes, members: Mapping[str, msgspec.Raw], *, values: str
) -> FileOrder:
    if not nested_deeper_than(data, MAX_ORDER_NESTING):
        return json_order(number, members, values=values)
    limit = MAX_ORDER_NESTING - 1  # within the order, which is the first level
    deep = next(
        (name for name, raw in members.items() if nested_deeper_than(bytes(raw), limit)), ""
    )
    return _too_deep(number, ref=_text(members.get(ORDER_REF_FIELD)), field=deep, values=values)


def json_array_orders(
    reader: CountingReader, *, again: Callable[[], Readable]
) -> Iterator[FileOrder]:
    """Each element of the file's top-level array, in order, numbered from 1 (the `line`
    of a JSON array's order is its position). `again` reopens the file: a parse error
    is located by reading it once more."""
    limit = sys.get_int_max_str_digits() or sys.int_info.default_max_str_digits
    stream = DigitRunGuard(_array_stream(SurrogateEscapeGuard(reader)), limit=limit)
    events = ijson.basic_parse(stream, use_float=False)
    try:
        for number, element in enumerate(array_elements(events, limit=MAX_ORDER_NESTING), start=1):
            yield _array_order(number, element)
    except LongDigitRun as run:
        with closing(again()) as reread:  # type: ignore[type-var]
            raise long_digit_run_error(reread, offset=run.offset, limit=limit) from None
    except (ijson.JSONError, decimal.InvalidOperation) as exc:
        with closing(again()) as reread:  # type: ignore[type-var]
            raise locate_json_error(reread, near=reader.bytes_read) from exc


def _array_order(number: int, element: Element) -> FileOrder:
    value = element.value
    values = _ENCODER.encode(value).decode()
    if not isinstance(value, Mapping):
        return _rejected(number, _NOT_AN_ORDER, values=values)
    if element.cut_under is not None:
        ref = _text(value.get(ORDER_REF_FIELD))
        return _too_deep(number, ref=ref, field=element.cut_under, values=values)
    return json_order(number, value, values=values)


def json_order(number: int, members: Mapping[str, Any], *, values: str) -> FileOrder:
    """A JSON order: its orderId apart, the rest re-encoded for the order decoder."""
    rest = {name: value for name, value in members.items() if name != ORDER_REF_FIELD}
    ref, problems = _order_ref(number, members.get(ORDER_REF_FIELD))
    return FileOrder(
        line=number,
        order_ref=ref,
        request=_ENCODER.encode(rest),
        problems=problems,
        values={number: (values,)},
    )


def _order_ref(number: int, value: Any) -> tuple[str, tuple[Rejection, ...]]:
    if isinstance(value, msgspec.Raw):
        value = msgspec.json.decode(value)
    if value is None or isinstance(value, str):
        return value or "", ()
    shown = _ENCODER.encode(value).decode()
    wrong = Rejection(
        line=number,
        order_ref=shown,
        field=ORDER_REF_FIELD,
        code=RejectionCode.TYPE_ERROR,
        message=f"Expected `str`, got `{type(value).__name__}`",
    )
    return shown, (wrong,)


def _text(value: Any) -> str:
    """An order reference that is text, or ""."""
    if isinstance(value, msgspec.Raw):
        try:
            return _TEXT.decode(value)
        except msgspec.ValidationError:
            return ""
    return value if isinstance(value, str) else ""


def _array_stream(reader: Readable) -> Readable:
    """The stream without its BOM; FileUnreadable unless it starts an array."""
    head = reader.read(len(UTF8_BOM))
    start = head.removeprefix(UTF8_BOM)
    while not start.strip() and (more := reader.read(_PEEK_BYTES)):
        start += more
    first = start.lstrip()[:1]
    if not first:
        raise FileUnreadable("the file is empty: a JSON file holds an array of orders")
    if first != b"[":
        raise FileUnreadable("a JSON file must hold an array of orders, starting with '['")
    return _Prefixed(reader, start)


class _Prefixed:
    """The stream with the first bytes, read to look at them, given back."""

    def __init__(self, reader: Readable, head: bytes) -> None:
        self._reader = reader
        self._head = head

    def read(self, size: int = -1, /) -> bytes:
        if not self._head or size == 0:
            return self._reader.read(size)
        head, self._head = self._head, b""
        return head + self._reader.read(max(size - len(head), 0) if size >= 0 else -1)


def _blank(number: int, text: str) -> FileOrder:
    blank = Rejection(
        line=number,
        order_ref="",
        field="",
        code=RejectionCode.BLANK_ROW,
        message="the line is blank",
    )
    return FileOrder(
        line=number, order_ref="", request=None, problems=(blank,), values={number: (text,)}
    )


def _rejected(number: int, message: str, *, values: str) -> FileOrder:
    wrong = Rejection(
        line=number, order_ref="", field="", code=RejectionCode.TYPE_ERROR, message=message
    )
    return FileOrder(
        line=number, order_ref="", request=None, problems=(wrong,), values={number: (values,)}
    )


def _too_deep(number: int, *, ref: str, field: str, values: str) -> FileOrder:
    deep = Rejection(
        line=number, order_ref=ref, field=field, code=RejectionCode.TYPE_ERROR, message=_TOO_DEEP
    )
    return FileOrder(
        line=number, order_ref=ref, request=None, problems=(deep,), values={number: (values,)}
    )


def _malformed(number: int, data: bytes, exc: msgspec.DecodeError) -> FileUnreadable:
    found = _AT_BYTE.search(str(exc))
    at = int(found["at"]) if found else len(data)
    column = len(data[:at].decode("utf-8", errors="ignore")) + 1
    reason = _AT_BYTE.sub("", str(exc)).strip()
    if b"\r" in data[:at]:  # JSON takes a CR as a space: the next line reads as trailing
        reason = f"{reason}; {CR_ALONE}"
    return FileUnreadable(f"malformed JSON at line {number}, column {column}: {reason}")
