"""Reading an upload's multipart form as it streams in, bounded in size and memory.

The route takes the body itself rather than Litestar's form parsing, so that the
limit is the files feature's own (PRODUCER upload limit, not the API-wide body
limit) and a file beyond it is a 413 problem. The file part goes to a spooled
temporary file (on disk beyond SPOOL_BYTES) while its SHA-256 and size are
computed, so it is never held whole in memory and is read once more to go to S3.

Each field the upload reads is taken once: a second `file`, `mode` or `notify` is a
400 rather than a part silently dropped. Any other field is a 422 naming it, as an
unknown member of a JSON body is: a misspelt `Mode=validate` must not run an import.
Part headers are read as Latin-1, which decodes any byte, so that a file name that is
not UTF-8 is told apart (a 422 naming the field) from a broken form (400).
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from tempfile import SpooledTemporaryFile
from typing import IO, Any

# multipart (Litestar's own form parser) ships no type information.
from multipart import (  # type: ignore[import-untyped]
    MultipartError,
    MultipartSegment,
    PushMultipartParser,
)
from multipart import ParserLimitReached as PartLimitReached

from conveyor_common.errors import FieldError
from conveyor_producer.imports.errors import (
    FileTooLarge,
    FormLimitExceeded,
    InvalidFileRequest,
    MalformedForm,
    MissingFile,
    RepeatedField,
)

FILE_FIELD = "file"
TEXT_FIELDS = frozenset({"mode", "notify"})
READ_FIELDS = TEXT_FIELDS | {FILE_FIELD}
UNKNOWN_FIELD_MESSAGE = "is not a field of the upload form (file, mode, notify)"
# Of an unknown field's name, in the problem that names it.
MAX_SHOWN_NAME_CHARS = 100
# Room for `notify` at its cap: MAX_RECIPIENTS addresses of EMAIL_LENGTH, with separators.
MAX_TEXT_FIELD_BYTES = 8 * 1024
# A part's header line: room for a file name of 8,000 characters of up to two bytes
# each in UTF-8 (about 4,000 of four bytes; the name is then cut to
# MAX_FILE_NAME_LENGTH); a longer line is a 400.
MAX_PART_HEADER_BYTES = 16 * 1024
SPOOL_BYTES = 1024 * 1024
MAX_PARTS = 8
# The form's own bytes beside the file: boundaries, part headers, `mode` and `notify`.
FORM_OVERHEAD_BYTES = MAX_PARTS * (MAX_PART_HEADER_BYTES + MAX_TEXT_FIELD_BYTES)


def check_body_size(size: int, *, max_file_bytes: int) -> None:
    """FileTooLarge (413) for a body, declared or streamed so far, larger than a form
    with a file of `max_file_bytes` can be."""
    if size > max_file_bytes + FORM_OVERHEAD_BYTES:
        raise FileTooLarge(f"the body exceeds the upload limit of {max_file_bytes:,} bytes")


_HEADER_CHARSET = "latin-1"


@dataclass
class UploadedForm:
    """The form's `file` (rewound; its name, declared type, size, SHA-256) and text fields."""

    file: IO[bytes]
    file_name: str
    content_type: str | None
    size_bytes: int
    sha256: str
    fields: dict[str, str] = field(default_factory=dict)

    def close(self) -> None:
        self.file.close()


@dataclass
class _Part:
    segment: MultipartSegment
    sink: Any = None
    text: bytearray = field(default_factory=bytearray)
    size: int = 0


class _FormReader:
    def __init__(self, *, max_file_bytes: int) -> None:
        self._max_file_bytes = max_file_bytes
        self._file: IO[bytes] = SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
        self._digest = hashlib.sha256()
        self._meta: tuple[str, str | None] | None = None
        self._size = 0
        self._seen: set[str] = set()
        self.fields: dict[str, str] = {}

    def start(self, segment: MultipartSegment) -> _Part:
        if segment.name not in READ_FIELDS:
            name = segment.name[:MAX_SHOWN_NAME_CHARS]
            raise InvalidFileRequest([FieldError(name, UNKNOWN_FIELD_MESSAGE)])
        if segment.name in self._seen:
            raise RepeatedField(segment.name)
        self._seen.add(segment.name)
        if segment.name == FILE_FIELD and segment.filename is not None:
            self._meta = (_utf8_file_name(segment.filename), segment.content_type)
            return _Part(segment, sink=self._file)
        return _Part(segment)

    def feed(self, part: _Part, data: bytes | bytearray | memoryview) -> None:
        if part.sink is not None:
            self._size += len(data)
            if self._size > self._max_file_bytes:
                raise FileTooLarge(f"the file exceeds {self._max_file_bytes:,} bytes")
            self._digest.update(data)
            part.sink.write(data)
        else:
            # Every other part is bounded too, even one this form ignores (a `file`
            # part without a file name): else it could stream forever.
            part.size += len(data)
            if part.size > MAX_TEXT_FIELD_BYTES:
                raise FileTooLarge(
                    f"the field {part.segment.name!r} exceeds {MAX_TEXT_FIELD_BYTES:,} bytes"
                )
            if part.segment.name in TEXT_FIELDS:
                part.text += data

    def end(self, part: _Part) -> None:
        if part.sink is None and part.segment.name in TEXT_FIELDS:
            self.fields[part.segment.name] = part.text.decode("utf-8", errors="replace")

    def result(self) -> UploadedForm:
        if self._meta is None:
            raise MissingFile("the form has no `file` part with a file name")
        self._file.seek(0)
        name, content_type = self._meta
        return UploadedForm(
            file=self._file,
            file_name=name,
            content_type=content_type,
            size_bytes=self._size,
            sha256=self._digest.hexdigest(),
            fields=self.fields,
        )

    def discard(self) -> None:
        self._file.close()


def _utf8_file_name(raw: str) -> str:
    """The file name as sent (its header read as Latin-1, byte for byte), as UTF-8."""
    try:
        return raw.encode(_HEADER_CHARSET).decode("utf-8")
    except UnicodeDecodeError as exc:
        problem = f"its file name is not valid UTF-8 (byte {exc.start})"
        raise InvalidFileRequest([FieldError(FILE_FIELD, problem)]) from None


async def read_form(
    chunks: AsyncIterator[bytes], *, boundary: str, max_file_bytes: int
) -> UploadedForm:
    """The form, parsed as it arrives; 413 (FileTooLarge) as soon as it is too large,
    400 for no file part (MissingFile), a field sent twice (RepeatedField), too many
    parts or too long a header (FormLimitExceeded) or a broken form (MalformedForm),
    422 (InvalidFileRequest) for a file name that is not UTF-8."""
    reader = _FormReader(max_file_bytes=max_file_bytes)
    try:
        await _parse(_bounded(chunks, max_file_bytes=max_file_bytes), boundary, reader)
        return reader.result()
    except BaseException:
        reader.discard()
        raise


async def _bounded(chunks: AsyncIterator[bytes], *, max_file_bytes: int) -> AsyncIterator[bytes]:
    """The chunks, up to the body's bound. The parser skips, unseen by the parts' own
    bounds, what comes before the first boundary and after the last: a body of no
    declared length (chunked) could otherwise stream those bytes without end."""
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        check_body_size(size, max_file_bytes=max_file_bytes)
        yield chunk


async def _parse(chunks: AsyncIterator[bytes], boundary: str, reader: _FormReader) -> None:
    try:
        with PushMultipartParser(
            boundary,
            max_segment_count=MAX_PARTS,
            max_header_size=MAX_PART_HEADER_BYTES,
            header_charset=_HEADER_CHARSET,
        ) as parser:
            part: _Part | None = None
            async for chunk in chunks:
                # An empty chunk would tell the parser the body ended.
                if chunk:
                    part = _dispatch(parser.parse(chunk), reader, part)
            _dispatch(parser.parse(b""), reader, part)
    except PartLimitReached as exc:
        raise FormLimitExceeded(
            f"{exc}: a form takes at most {MAX_PARTS} parts, and part header lines of "
            f"at most {MAX_PART_HEADER_BYTES:,} bytes"
        ) from None
    except MultipartError as exc:
        raise MalformedForm(f"the body is no valid multipart form: {exc}") from None


def _dispatch(events: Iterator[Any], reader: _FormReader, part: _Part | None) -> _Part | None:
    """Hands the parser's events to the reader; returns the part still open."""
    for event in events:
        if isinstance(event, MultipartSegment):
            part = reader.start(event)
        elif event and part is not None:
            reader.feed(part, event)
        elif event is None and part is not None:
            reader.end(part)
            part = None
    return part
