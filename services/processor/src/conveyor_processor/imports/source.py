"""Reading an uploaded file as a stream: bytes counted for progress, lines decoded as
UTF-8 (with or without a BOM) with the byte offset of any bad encoding."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from typing import Protocol

from conveyor_processor.imports.file_order import FileUnreadable

CHUNK_BYTES = 256 * 1024
UTF8_BOM = codecs.BOM_UTF8


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


def utf8_lines(chunks: Iterator[bytes]) -> Iterator[str]:
    """The text's lines (split at LF only, endings kept), a leading BOM dropped;
    FileUnreadable at the first byte that is not UTF-8, naming its offset in the file."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    offset = 0  # bytes handed to the decoder before this chunk
    pending = ""
    for chunk in chunks:
        text = _decode(decoder, chunk, offset=offset)
        offset += len(chunk)
        *lines, pending = (pending + text).split("\n")
        for line in lines:
            yield line + "\n"
    pending += _decode(decoder, b"", offset=offset, final=True)
    if pending:
        yield pending


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
