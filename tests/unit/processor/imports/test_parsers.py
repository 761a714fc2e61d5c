"""The parsers read orders incrementally and locate what they cannot read."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conveyor_common.imports.model import RejectionCode
from conveyor_common.orders import Order
from conveyor_processor.imports.csv_orders import csv_orders
from conveyor_processor.imports.file_order import FileOrder, FileUnreadable
from conveyor_processor.imports.json_orders import json_array_orders, ndjson_orders
from conveyor_processor.imports.mapping import to_order
from conveyor_processor.imports.source import CountingReader, utf8_lines

HEADER = "orderId,customerId,customerEmail,currency,sku,quantity,unitPrice"


def lines(data: bytes, *, chunk: int = 3) -> list[str]:
    reader = CountingReader(io.BytesIO(data))
    return list(utf8_lines(reader.chunks(chunk)))


def test_lines_drop_a_bom_and_keep_characters_cut_by_chunks() -> None:
    data = "\ufeffa,é\r\nb,ü\nlast".encode()
    assert lines(data, chunk=1) == ["a,é\r\n", "b,ü\n", "last"]


@pytest.mark.parametrize("chunk", [1, 2, 5, 64])
def test_bad_utf8_fails_with_its_byte_offset_whatever_the_chunks(chunk: int) -> None:
    data = b"ab\n\xc3\xa9x\xff"
    with pytest.raises(FileUnreadable, match=r"bad byte at offset 6$"):
        lines(data, chunk=chunk)


def test_consecutive_csv_lines_of_one_order_id_are_one_order() -> None:
    text = f"{HEADER}\nA,c,e@x.io,EUR,S1,1,1.00\nA,c,,,S2,2,2.00\nB,d,f@x.io,EUR,S3,1,3.00\n"
    orders = list(csv_orders(iter(text.splitlines(keepends=True))))
    assert [(order.order_ref, order.line, order.item_lines) for order in orders] == [
        ("A", 2, (2, 3)),
        ("B", 4, (4,)),
    ]
    first = orders[0].request
    assert isinstance(first, dict)
    assert first["items"] == [
        {"sku": "S1", "quantity": "1", "unitPrice": "1.00"},
        {"sku": "S2", "quantity": "2", "unitPrice": "2.00"},
    ]
    assert orders[0].rows == 2


def test_a_blank_csv_line_is_a_blank_row() -> None:
    text = f"{HEADER}\n\n,,,,,,\n"
    orders = list(csv_orders(iter(text.splitlines(keepends=True))))
    assert [[p.code for p in order.problems] for order in orders] == [
        [RejectionCode.BLANK_ROW],
        [RejectionCode.BLANK_ROW],
    ]
    assert [order.line for order in orders] == [2, 3]


def test_a_cell_that_differs_on_a_later_line_of_the_order_is_a_problem() -> None:
    text = f"{HEADER}\nA,c,e@x.io,EUR,S1,1,1.00\nA,c,e@x.io,USD,S2,1,1.00\n"
    [order] = csv_orders(iter(text.splitlines(keepends=True)))
    assert [(p.line, p.field, p.code) for p in order.problems] == [
        (3, "currency", RejectionCode.CONSTRAINT_ERROR)
    ]


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("", "the file is empty: it has no header row"),
        ("orderId,customerId", "the header lacks the column 'customerEmail'"),
        (HEADER + ",colour", "the header has an unknown column 'colour'"),
        (HEADER + ",sku", "the header has the column 'sku' twice"),
    ],
)
def test_a_csv_header_that_is_not_the_layout_fails_the_file(header: str, reason: str) -> None:
    with pytest.raises(FileUnreadable) as caught:
        list(csv_orders(iter([header + "\n"] if header else [])))
    assert str(caught.value) == reason


def test_json_lines_keep_numbers_as_written_and_the_order_id_apart() -> None:
    data = b'{"orderId": "A", "customerId": "c", "items": [{"unitPrice": 19.99}]}\n\n[1]\n'
    orders = list(ndjson_orders(iter(lines(data))))
    assert orders[0].order_ref == "A"
    assert orders[0].request == b'{"customerId":"c","items":[{"unitPrice": 19.99}]}'
    assert [p.code for p in orders[1].problems] == [RejectionCode.BLANK_ROW]
    assert [p.code for p in orders[2].problems] == [RejectionCode.TYPE_ERROR]


def test_a_malformed_json_line_fails_with_its_line_and_column() -> None:
    data = b'{"orderId": "A"}\n{"orderId": "\xc3\xa9", x}\n'
    with pytest.raises(FileUnreadable, match=r"^malformed JSON at line 2, column 18: "):
        list(ndjson_orders(iter(lines(data))))


def array(data: bytes) -> list[object]:
    reader = CountingReader(io.BytesIO(data))
    return list(json_array_orders(reader, again=lambda: io.BytesIO(data)))


def test_a_json_array_is_read_element_by_element() -> None:
    data = json.dumps([{"orderId": "A", "currency": "EUR"}, {"orderId": 7}]).encode()
    orders = array(b"\xef\xbb\xbf" + data)
    assert len(orders) == 2


def test_a_malformed_json_array_fails_with_its_line_and_column() -> None:
    data = b'[\n  {"orderId": "A"},\n  {"orderId": "B"] \n]'
    with pytest.raises(FileUnreadable, match=r"^malformed JSON at line 3, column 18: "):
        array(data)


def test_a_json_file_that_is_no_array_fails() -> None:
    with pytest.raises(FileUnreadable, match="must hold an array of orders"):
        array(b'  {"orderId": "A"}')


class _Trickle:
    """A stream giving at most `most` bytes a read: escapes cut at every place."""

    def __init__(self, data: bytes, most: int) -> None:
        self._stream = io.BytesIO(data)
        self._most = most

    def read(self, size: int = -1, /) -> bytes:
        return self._stream.read(self._most if size < 0 else min(size, self._most))


def trickled(data: bytes, most: int) -> list[FileOrder]:
    reader = CountingReader(_Trickle(data, most))
    return list(json_array_orders(reader, again=lambda: io.BytesIO(data)))


@pytest.mark.parametrize(
    "text",
    [rb"\ud800", rb"ab\uDBFF", rb"\ud800x", rb"\udfff x", rb"\ud800\ud800", rb"\\\udc00"],
)
@given(most=st.integers(min_value=1, max_value=40))
def test_half_a_surrogate_pair_escaped_in_a_json_array_fails_the_file(
    text: bytes, most: int
) -> None:
    # The parser would store '?' for the text, or fail unexpectedly: the JSON Lines
    # decoder refuses such a line as malformed too.
    data = b'[{"orderId": "A"}, {"orderId": "B", "sku": "' + text + b'"}]'
    with pytest.raises(FileUnreadable, match=r"half a surrogate pair \(\\u[dD]"):
        trickled(data, most)


@given(most=st.integers(min_value=1, max_value=40))
def test_a_whole_surrogate_pair_or_an_escaped_backslash_reads_as_written(most: int) -> None:
    texts = [rb"\ud83d\ude00", rb"\\ud800", rb"\\\\", rb"x\\\ud83D\uDE00\\"]
    data = b"[" + b", ".join(b'{"orderId": "' + text + b'"}' for text in texts) + b"]"
    refs = [order.order_ref for order in trickled(data, most)]
    assert refs == ["\U0001f600", "\\ud800", "\\\\", "x\\\U0001f600\\"]


def test_padded_csv_cells_read_as_their_trimmed_values() -> None:
    text = f"{HEADER}\n A , c ,e@x.io, EUR ,S1, 2 , 1.50 \nA,c,,EUR,S2,\t3\t,2.00\n"
    [order] = csv_orders(iter(text.splitlines(keepends=True)))
    assert order.problems == ()
    assert order.order_ref == "A"
    assert order.request == {
        "customerId": "c",
        "customerEmail": "e@x.io",
        "currency": "EUR",
        "items": [
            {"sku": "S1", "quantity": "2", "unitPrice": "1.50"},
            {"sku": "S2", "quantity": "3", "unitPrice": "2.00"},
        ],
    }
    stored = to_order(order, tenant_id="t", uploaded_at=datetime(2026, 5, 1, tzinfo=UTC))
    assert isinstance(stored, Order)
    assert [(item.quantity, item.unit_price) for item in stored.items] == [
        (2, Decimal("1.50")),
        (3, Decimal("2.00")),
    ]


def test_a_line_longer_than_the_limit_fails_the_file_naming_it() -> None:
    data = b"a,b\n" + b"x" * 100
    reader = CountingReader(io.BytesIO(data))
    with pytest.raises(FileUnreadable, match=r"^line 2 is longer than 64 characters$"):
        list(utf8_lines(reader.chunks(8), max_line_chars=64))


def test_a_long_line_that_ends_in_a_later_chunk_fails_the_file_too() -> None:
    chunks = iter([b"ok\n" + b"x" * 8, b"xxxx\nnext\n"])
    with pytest.raises(FileUnreadable, match=r"^line 2 is longer than 10 characters$"):
        list(utf8_lines(chunks, max_line_chars=10))


def test_a_file_whose_lines_end_with_cr_alone_says_so() -> None:
    small = f"{HEADER}\rA,c,e@x.io,EUR,S1,1,1.00\r".encode()
    with pytest.raises(FileUnreadable, match="end with CR alone: save the file with LF or CRLF"):
        list(csv_orders(iter(lines(small))))
    large = small * 40
    reader = CountingReader(io.BytesIO(large))
    with pytest.raises(FileUnreadable, match="seem to end with CR alone"):
        list(utf8_lines(reader.chunks(64), max_line_chars=512))
    json_lines = b'{"orderId": "A"}\r{"orderId": "B"}\r'
    with pytest.raises(FileUnreadable, match=r"^malformed JSON at line 1, .*end with CR alone"):
        list(ndjson_orders(iter(lines(json_lines))))
