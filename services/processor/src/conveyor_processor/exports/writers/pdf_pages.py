"""Joins chunk PDFs into one document and stamps "Page X of Y" on every page.

Chunks are rendered separately, so only the joined document knows its page
count. The footer is drawn with the standard Helvetica font (no embedding) in
the bottom margin the template keeps free. Each page's own content streams are
kept as they are, compressed, and wrapped in q/Q so the footer starts from a
clean graphics state.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    PdfObject,
    TextStringObject,
)

FOOTER_FONT_SIZE_POINTS = 8
# Baseline height above the page's bottom edge, inside the template's 14 mm margin.
FOOTER_BASELINE_POINTS = 18
_FONT_RESOURCE = NameObject("/ConveyorFooter")
# Helvetica advance widths (1/1000 em) of the characters a footer uses, to centre it.
_HELVETICA_WIDTHS = {"P": 667, "a": 556, "g": 556, "e": 556, "o": 556, "f": 278, " ": 278}
_DIGIT_WIDTH = 556


def footer_text(page_number: int, page_count: int) -> str:
    return f"Page {page_number} of {page_count}"


def assemble(chunk_paths: Sequence[Path], sink: BinaryIO, *, title: str) -> int:
    """Write the chunks' pages, in order and numbered, to `sink`; returns the page count."""
    writer = PdfWriter()
    for path in chunk_paths:
        for page in PdfReader(path).pages:
            writer.add_page(page)
    _stamp_footers(writer)
    writer.add_metadata({"/Title": TextStringObject(title)})
    writer.write(sink)
    return len(writer.pages)


def _stamp_footers(writer: PdfWriter) -> None:
    font = _add(
        writer,
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
                NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
            }
        ),
    )
    save_state = _add(writer, _stream(b"q\n"))
    page_count = len(writer.pages)
    for number, page in enumerate(writer.pages, start=1):
        footer = _add(writer, _footer_stream(page, footer_text(number, page_count)))
        contents = page.get("/Contents")
        resolved = contents.get_object() if contents is not None else None
        existing = list(resolved) if isinstance(resolved, ArrayObject) else [contents]
        page[NameObject("/Contents")] = ArrayObject(
            [save_state, *(item for item in existing if item is not None), footer]
        )
        _fonts_of(page)[_FONT_RESOURCE] = font


def _footer_stream(page: PageObject, text: str) -> DecodedStreamObject:
    """The footer, centred on the page's bottom margin, from a clean graphics state."""
    box = page.mediabox
    x = float(box.left) + (float(box.width) - _text_width_points(text)) / 2
    y = float(box.bottom) + FOOTER_BASELINE_POINTS
    return _stream(
        f"Q\nq\nBT {_FONT_RESOURCE} {FOOTER_FONT_SIZE_POINTS} Tf {x:.2f} {y:.2f} Td "
        f"({text}) Tj ET\nQ\n".encode("ascii")
    )


def _fonts_of(page: PageObject) -> DictionaryObject:
    """The page's font resources, made if it has none."""
    resources = page.get("/Resources")
    if resources is None:
        resources = DictionaryObject()
        page[NameObject("/Resources")] = resources
    resources = resources.get_object()
    assert isinstance(resources, DictionaryObject)
    if "/Font" not in resources:
        resources[NameObject("/Font")] = DictionaryObject()
    fonts = resources["/Font"].get_object()
    assert isinstance(fonts, DictionaryObject)
    return fonts


def _text_width_points(text: str) -> float:
    units = sum(_HELVETICA_WIDTHS.get(char, _DIGIT_WIDTH) for char in text)
    return units * FOOTER_FONT_SIZE_POINTS / 1000


def _stream(data: bytes) -> DecodedStreamObject:
    stream = DecodedStreamObject()
    stream.set_data(data)
    return stream


def _add(writer: PdfWriter, obj: PdfObject) -> IndirectObject:
    # pypdf has no public call for a new indirect object; content streams must be indirect.
    return writer._add_object(obj)
