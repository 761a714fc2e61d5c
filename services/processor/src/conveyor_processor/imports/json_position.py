"""Where a JSON file stops being readable, as a line and column (or a byte offset for bad
UTF-8). The streaming parser says what is wrong but not where: the file is read once
more, in big chunks up to near where the parser stopped, then byte by byte. A run of
digits refused before the parser saw it is located by counting up to its offset."""

from __future__ import annotations

import decimal

import ijson

from conveyor_processor.imports.file_order import FileUnreadable
from conveyor_processor.imports.source import CHUNK_BYTES, UTF8_BOM, Readable

# ijson reads this much at a time; the first pass stopped within its last read.
_SLACK_BYTES = 4 * CHUNK_BYTES
# A character's continuation bytes (10xxxxxx) do not move the column.
_CONTINUATION_BYTES = bytes(range(0x80, 0xC0))


class _Tracking:
    """Hands the parser the file, byte by byte from `near` on, counting lines and columns."""

    def __init__(self, stream: Readable, *, near: int) -> None:
        self._stream = stream
        self._slow_from = max(near - _SLACK_BYTES, 0)
        self.offset = 0
        self.line = 1
        self.column = 0  # characters since the line's start, up to the last byte read

    def read(self, size: int = -1, /) -> bytes:
        if size == 0:
            return b""  # the parser asks for nothing to learn bytes from text
        step = CHUNK_BYTES if self.offset + CHUNK_BYTES <= self._slow_from else 1
        data = self._stream.read(step)
        if self.offset == 0 and data.startswith(UTF8_BOM[:1]):
            data += self._stream.read(len(UTF8_BOM) - len(data))
            if data == UTF8_BOM:
                self.offset += len(data)
                data = self._stream.read(1)
        self._count(data)
        return data

    def _count(self, data: bytes) -> None:
        self.offset += len(data)
        newline = data.rfind(b"\n")
        if newline >= 0:
            self.line += data.count(b"\n")
            data = data[newline + 1 :]
            self.column = 0
        self.column += _characters(data)


def locate_json_error(stream: Readable, *, near: int) -> FileUnreadable:
    """The failure, located, of reading `stream` as a JSON array of orders."""
    tracking = _Tracking(stream, near=near)
    try:
        # Events only, nothing built: any nesting costs no memory.
        for _ in ijson.basic_parse(tracking, use_float=False):
            pass
    except ijson.JSONError as exc:
        reason = str(exc).strip().splitlines()[0]
        if "UTF8" in reason:
            return FileUnreadable(
                f"the file is not valid UTF-8: bad byte near offset {tracking.offset - 1}"
            )
        return FileUnreadable(f"malformed JSON at {_where(tracking)}: {reason}")
    except decimal.InvalidOperation:
        # Decimal refuses an exponent beyond its range (1e99999999999999999999).
        return FileUnreadable(f"a number out of range at {_where(tracking)}")
    return FileUnreadable("malformed JSON: the file changed while it was read")


def long_digit_run_error(stream: Readable, *, offset: int, limit: int) -> FileUnreadable:
    """The refusal of a run of more than `limit` digits starting at `offset` of the file's
    text (its bytes after any BOM)."""
    line, column = _line_and_column(stream, offset)
    return FileUnreadable(
        f"a number of more than {limit} digits at line {line}, column {column}: "
        "more than the parser can read safely, or any order holds"
    )


def _where(tracking: _Tracking) -> str:
    return f"line {tracking.line}, column {max(tracking.column, 1)}"


def _line_and_column(stream: Readable, offset: int) -> tuple[int, int]:
    """Where the byte at `offset` of the text after any BOM is, counted from 1."""
    data = stream.read(len(UTF8_BOM)).removeprefix(UTF8_BOM)
    line, column = 1, 1
    while offset > 0 and (data or (data := stream.read(min(offset, CHUNK_BYTES)))):
        part, data = data[:offset], data[offset:]
        offset -= len(part)
        newline = part.rfind(b"\n")
        if newline >= 0:
            line += part.count(b"\n")
            part, column = part[newline + 1 :], 1
        column += _characters(part)
    return line, column


def _characters(data: bytes) -> int:
    return len(data.translate(None, _CONTINUATION_BYTES))
