"""Where a JSON file stops being JSON, as a line and column (or a byte offset for bad
UTF-8). The streaming parser says what is wrong but not where: the file is read once
more, in big chunks up to near where the parser stopped, then byte by byte."""

from __future__ import annotations

import ijson

from conveyor_processor.imports.file_order import FileUnreadable
from conveyor_processor.imports.source import CHUNK_BYTES, UTF8_BOM, Readable

# ijson reads this much at a time; the first pass stopped within its last read.
_SLACK_BYTES = 4 * CHUNK_BYTES


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
        # A character's continuation bytes (10xxxxxx) do not move the column.
        self.column += sum(1 for byte in data if byte & 0xC0 != 0x80)


def locate_json_error(stream: Readable, *, near: int) -> FileUnreadable:
    """The failure, located, of reading `stream` as a JSON array of orders."""
    tracking = _Tracking(stream, near=near)
    try:
        for _ in ijson.items(tracking, "item", use_float=False):
            pass
    except ijson.JSONError as exc:
        reason = str(exc).strip().splitlines()[0]
        if "UTF8" in reason:
            return FileUnreadable(
                f"the file is not valid UTF-8: bad byte near offset {tracking.offset - 1}"
            )
        return FileUnreadable(
            f"malformed JSON at line {tracking.line}, column {max(tracking.column, 1)}: {reason}"
        )
    return FileUnreadable("malformed JSON: the file changed while it was read")
