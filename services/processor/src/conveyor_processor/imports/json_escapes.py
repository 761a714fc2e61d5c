"""A JSON file's escapes of UTF-16 surrogates, checked as the file streams to the parser.

ijson's C backend, given a `\\uXXXX` escape of half a surrogate pair, either writes '?'
in its place (a high half not followed by a low one: the order would be stored with
text the file does not hold) or hands Python bytes that are no UTF-8 (a low half
alone: an unexpected error). Neither is a character: like the JSON Lines decoder, the
file is refused as unreadable, at the escape's byte.
"""

from __future__ import annotations

import re

from conveyor_processor.imports.file_order import FileUnreadable
from conveyor_processor.imports.source import Readable

# One escape, read from its backslash: a whole pair, half of one alone, or any other
# (an escaped backslash among them, so that what follows it is never taken for one).
_ESCAPE = re.compile(
    rb"\\(?:(?P<pair>u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    rb"|(?P<high>u[dD][89abAB][0-9a-fA-F]{2})|(?P<low>u[dD][c-fC-F][0-9a-fA-F]{2})|[\s\S])"
)
# What may follow a high half at the end of a read: the start of its low half.
_LOW_START = re.compile(rb"(?:\\(?:u(?:[dD](?:[c-fC-F][0-9a-fA-F]{0,2})?)?)?)?")
# A `\uXXXX` escape's length: one starting nearer the end of a read may be cut by it.
_ESCAPE_BYTES = 6


class SurrogateEscapeGuard:
    """The stream, refused (FileUnreadable) from the first escape of half a surrogate
    pair on, before the parser gets it. The bytes pass on unchanged; an escape a read
    may have cut is checked again with the next."""

    def __init__(self, stream: Readable) -> None:
        self._stream = stream
        self._held = b""  # the end of the last read, from an escape it may have cut
        self._held_at = 0  # its offset in the stream

    def read(self, size: int = -1, /) -> bytes:
        data = self._stream.read(size)
        if size == 0:
            return data  # asked for nothing: not the end of the stream
        text = self._held + data
        cut = _checked_up_to(text, final=not data, offset=self._held_at)
        self._held, self._held_at = text[cut:], self._held_at + cut
        return data


def _checked_up_to(text: bytes, *, final: bool, offset: int) -> int:
    """Where the escapes the text surely holds end; FileUnreadable at half a pair."""
    if b"\\u" not in text and not text.endswith(b"\\"):
        return len(text)  # no `\u` escape, and none cut: the common case, made cheap
    scanned = 0
    for escape in _ESCAPE.finditer(text):
        after = text[escape.end() : escape.end() + _ESCAPE_BYTES]
        cut_off = not final and len(after) < _ESCAPE_BYTES
        if escape["high"] is not None and cut_off and _LOW_START.fullmatch(after):
            return escape.start()  # its low half may come with the next read
        if escape["high"] is not None or escape["low"] is not None:
            half = (escape["high"] or escape["low"]).decode()
            raise FileUnreadable(
                f"the JSON file has half a surrogate pair (\\{half}) at offset "
                f"{offset + escape.start()}: it escapes no character"
            )
        if escape["pair"] is None and cut_off:
            return escape.start()  # perhaps a `\u` escape the read cut
        scanned = escape.end()
    # A backslash no escape took ends the text: the next read completes it.
    return len(text) - 1 if b"\\" in text[scanned:] else len(text)
