"""Reading an uploaded file as a stream: bytes counted for progress, lines decoded as
UTF-8 (with or without a BOM) with the byte offset of any bad encoding."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from typing import Protocol

from conveyor_processor.imports.file_order import CR_ALONE, FileUnreadable

CHUNK_BYTES = 256 * 1024
UTF8_BOM = codecs.BOM_UTF8
# The longest line read: a CSV line is one order item (a few KiB at most), a JSON Lines
# line one order (at most 250 KiB once normalised; written with escapes, some times
# that). Without a bound, a presigned file of no LF (1 GiB) would be held whole.
MAX_LINE_CHARS = 8 * 1024 * 1024


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class CountingReader:
    """A binary stream that counts the bytes read from it (the job's progress)."""

    def __init__(self, stream: Readable) -> None:
        self._stream = stream
        self.bytes_read = 0

    def read(self, size: int = -1, /) -> bytes:
        data = self._stream.read(size)
        self.bytes_read += len(data)
        return data

    def chunks(self, size: int = CHUNK_BYTES) -> Iterator[bytes]:
        while chunk := self.read(size):
            yield chunk


class LongDigitRun(Exception):
    """A run of more digits than allowed starts at `offset` of the stream."""

    def __init__(self, offset: int) -> None:
        super().__init__(f"a run of digits too long at byte {offset}")
        self.offset = offset


class DigitRunGuard:
    """The stream, refused from the first run of more than `limit` ASCII digits on.

    ijson's C backend crashes the whole process on an integer Python refuses to build (more
    than sys.get_int_max_str_digits() digits): the run is refused before the parser gets it.
    It may lie in a text, not a number: no order holds a text that long either."""

    def __init__(self, stream: Readable, *, limit: int) -> None:
        self._stream = stream
        self._limit = limit
        self._too_long = b"0" * (limit + 1)
        self._offset = 0  # bytes handed on before this read
        self._run = 0  # digits at the end of those bytes

    def read(self, size: int = -1, /) -> bytes:
        data = self._stream.read(size)
        zeros = data.translate(_DIGITS_AS_ZEROS)  # every digit a '0', and only digits
        leading = len(zeros) - len(zeros.lstrip(b"0"))
        if self._run + leading > self._limit:
            raise LongDigitRun(self._offset - self._run)
        at = zeros.find(self._too_long)
        if at >= 0:
            raise LongDigitRun(self._offset + at)
        whole = leading == len(zeros)
        self._run = self._run + leading if whole else len(zeros) - len(zeros.rstrip(b"0"))
        self._offset += len(data)
        return data


_DIGITS_AS_ZEROS = bytes.maketrans(b"0123456789", b"0" * 10)


def utf8_lines(chunks: Iterator[bytes], *, max_line_chars: int = MAX_LINE_CHARS) -> Iterator[str]:
    """The text's lines (split at LF only, endings kept), a leading BOM dropped;
    FileUnreadable at the first byte that is not UTF-8, naming its offset in the file,
    or at a line longer than `max_line_chars`, naming the line."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    offset = 0  # bytes handed to the decoder before this chunk
    pending = ""
    line_number = 1  # of the pending line
    for chunk in chunks:
        text = _decode(decoder, chunk, offset=offset)
        offset += len(chunk)
        *lines, pending = (pending + text).split("\n")
        for line in lines:
            if len(line) > max_line_chars:
                raise FileUnreadable(_too_long(line_number, line, max_line_chars))
            yield line + "\n"
            line_number += 1
        if len(pending) > max_line_chars:
            raise FileUnreadable(_too_long(line_number, pending, max_line_chars))
    pending += _decode(decoder, b"", offset=offset, final=True)
    if pending:
        yield pending


def _too_long(line_number: int, line: str, max_line_chars: int) -> str:
    reason = f"line {line_number} is longer than {max_line_chars:,} characters"
    if "\r" in line:
        return f"{reason}: {CR_ALONE}"
    return reason


def _decode(
    decoder: codecs.IncrementalDecoder, chunk: bytes, *, offset: int, final: bool = False
) -> str:
    # The decoder may hold back the start of a character cut by the chunk before.
    held_back = len(decoder.getstate()[0])
    try:
        return decoder.decode(chunk, final=final)
    except UnicodeDecodeError as exc:
        at = offset - held_back + exc.start
        raise FileUnreadable(f"the file is not valid UTF-8: bad byte at offset {at}") from exc
