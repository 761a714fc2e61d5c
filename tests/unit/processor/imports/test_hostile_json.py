"""Hostile JSON neither kills nor bloats the reader: numbers Python refuses to build and
values nested far deeper than any order."""

from __future__ import annotations

import subprocess
import sys
import textwrap

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
