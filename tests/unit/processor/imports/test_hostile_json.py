"""Hostile JSON neither kills nor bloats the reader: numbers Python refuses to build and
values nested far deeper than any order."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
import tracemalloc

import pytest

from conveyor_common.imports.model import MAX_ORDER_NESTING, RejectionCode
from conveyor_processor.imports.file_order import FileOrder, FileUnreadable
from conveyor_processor.imports.json_nesting import nested_deeper_than
from conveyor_processor.imports.json_orders import json_array_orders, ndjson_orders
from conveyor_processor.imports.source import CountingReader, DigitRunGuard, LongDigitRun

# Run in a child process: a crash of the parser's C code must fail the test, not pytest.
_READ_ARRAY = textwrap.dedent(
    """
    import io, sys
    from conveyor_processor.imports.file_order import FileUnreadable
    from conveyor_processor.imports.json_orders import json_array_orders
    from conveyor_processor.imports.source import CountingReader

    data = sys.stdin.buffer.read()
    try:
        reader = CountingReader(io.BytesIO(data))
        orders = list(json_array_orders(reader, again=lambda: io.BytesIO(data)))
    except FileUnreadable as exc:
        print("unreadable:", exc)
    else:
        print("orders:", len(orders))
    """
)


def read_array_elsewhere(data: bytes) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _READ_ARRAY],
        input=data.decode(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_an_integer_of_4301_digits_in_a_json_array_fails_the_file_and_not_the_process() -> None:
    data = b'[{"orderId": "A", "items": [{"quantity": ' + b"9" * 4301 + b"}]}]"
    done = read_array_elsewhere(data)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("unreadable: a number of more than 4300 digits at line 1"), done


def array(data: bytes) -> list[FileOrder]:
    reader = CountingReader(io.BytesIO(data))
    return list(json_array_orders(reader, again=lambda: io.BytesIO(data)))


def ndjson(text: str) -> list[FileOrder]:
    return list(ndjson_orders(iter(text.splitlines(keepends=True))))


def problems(order: FileOrder) -> list[tuple[int, str, str, RejectionCode]]:
    return [(p.line, p.order_ref, p.field, p.code) for p in order.problems]


@pytest.mark.parametrize(
    ("number", "column"),
    [(b"-" + b"1" * 4301, 9), (b"1." + b"1" * 4301, 10), (b"1e" + b"1" * 4301, 10)],
)
def test_a_run_of_too_many_digits_fails_the_file_at_its_line_and_column(
    number: bytes, column: int
) -> None:
    data = b'\xef\xbb\xbf[\n {"\xc3\xa9": ' + number + b"}]"
    with pytest.raises(FileUnreadable) as caught:
        array(data)
    assert str(caught.value).startswith(
        f"a number of more than 4300 digits at line 2, column {column}: "
    )


def read_all(guard: DigitRunGuard, size: int) -> bytes:
    seen = b""
    while chunk := guard.read(size):
        seen += chunk
    return seen


@pytest.mark.parametrize("size", [1, 7, 4300, 5000])
def test_the_digit_guard_finds_a_run_cut_by_reads_and_lets_4300_digits_through(
    size: int,
) -> None:
    allowed = b"[" + b"7" * 4300 + b","
    guard = DigitRunGuard(io.BytesIO(allowed + b"1" * 4301 + b"]"), limit=4300)
    with pytest.raises(LongDigitRun) as caught:
        read_all(guard, size)
    assert caught.value.offset == len(allowed)


def test_the_digit_guard_hands_on_a_file_of_short_numbers_unchanged() -> None:
    data = b"[" + b"1234567890," * 1000 + b"0]"
    assert read_all(DigitRunGuard(io.BytesIO(data), limit=4300), 333) == data


def test_a_text_of_4300_digits_is_read_and_left_to_the_order_rules() -> None:
    [order] = array(b'[{"orderId": "' + b"1" * 4300 + b'"}]')
    assert order.order_ref == "1" * 4300


def test_an_exponent_beyond_what_decimal_holds_fails_the_file_at_its_line() -> None:
    with pytest.raises(FileUnreadable, match=r"^a number out of range at line 2, column \d+$"):
        array(b'[\n {"unitPrice": 1e99999999999999999999}]')


def test_an_array_order_nested_too_deep_is_a_rejected_row_and_costs_no_memory() -> None:
    depth = 100_000
    nested = b"[" * depth + b"]" * depth
    data = b'[{"orderId": "DEEP-1", "x": ' + nested + b'}, {"orderId": "NEXT"}]'

    tracemalloc.start()
    try:
        deep, following = array(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert peak < 16 * 1024 * 1024
    assert deep.request is None
    assert problems(deep) == [(1, "DEEP-1", "x", RejectionCode.TYPE_ERROR)]
    assert deep.values == {1: ('{"orderId":"DEEP-1","x":[[[[[[["…"]]]]]]]}',)}
    assert following.order_ref == "NEXT"
    assert following.request is not None


def test_an_array_order_is_built_up_to_the_nesting_limit_and_cut_beyond_it() -> None:
    def nested(levels: int) -> str:
        return "[" * levels + "]" * levels

    within = MAX_ORDER_NESTING - 1  # the order itself is the first level
    data = f'[{{"orderId": "A", "x": {nested(within)}}}, {{"y": {nested(within + 1)}}}]'
    kept, cut = array(data.encode())
    assert kept.problems == ()
    assert isinstance(kept.request, bytes)
    assert json.loads(kept.request) == {"x": json.loads(nested(within))}
    assert problems(cut) == [(2, "", "y", RejectionCode.TYPE_ERROR)]


def test_a_json_line_nested_too_deep_is_a_rejected_row_and_the_others_are_read() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    lines = [
        '{"orderId": "A"}',
        f'{{"orderId": "B", "x": {deep}}}',
        '{"orderId": "C", "x": [[[[[[[[]]]]]]]]}',
    ]
    first, too_deep, cut = ndjson("\n".join(lines) + "\n")
    assert first.problems == ()
    assert first.order_ref == "A"
    assert problems(too_deep) == [(2, "", "", RejectionCode.TYPE_ERROR)]
    assert problems(cut) == [(3, "C", "x", RejectionCode.TYPE_ERROR)]
    assert "nests more than 8 levels deep" in cut.problems[0].message


@pytest.mark.parametrize(
    ("value", "limit", "deeper"),
    [
        (b'{"a": [1, {"b": []}]}', 4, False),
        (b'{"a": [1, {"b": []}]}', 3, True),
        (b'[[], {}, [[]], {"x": {}}]', 3, False),
        (b'{"a": "[[[[[[{{{{", "b": "\\"[[[["}', 1, False),
        (b"[" * 9 + b"]" * 9, 8, True),
    ],
)
def test_nesting_is_measured_on_the_bytes_outside_texts(
    value: bytes, limit: int, deeper: bool
) -> None:
    assert nested_deeper_than(value, limit) is deeper
