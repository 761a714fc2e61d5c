"""CSV through PostgreSQL's `COPY … TO STDOUT`: the server formats, we only move bytes.

PostgreSQL sends one CopyData message per row (a quoted newline stays inside
its row), so counting blocks counts rows without parsing; the final count is
the server's own, from the COPY command's status.
"""

from __future__ import annotations

from typing import Any

import psycopg

from conveyor_common.exports.query import Query
from conveyor_processor.exports.ports import Sink
from conveyor_processor.jobs.ports import Progress

# Makes Excel read the file as UTF-8.
UTF8_BOM = b"\xef\xbb\xbf"
# Progress is offered every this many rows; the callback throttles further.
PROGRESS_EVERY_ROWS = 1000
HEADER_ROWS = 1


def write_csv(
    cursor: psycopg.Cursor[Any],
    query: Query,
    *,
    sink: Sink,
    include_bom: bool,
    progress: Progress,
) -> int:
    """Stream the COPY output into the sink; returns the number of data rows."""
    if include_bom:
        sink.write(UTF8_BOM)
    blocks = 0
    with cursor.copy(query.sql, query.params) as copy:
        for block in copy:
            sink.write(block)
            blocks += 1
            if blocks % PROGRESS_EVERY_ROWS == 0:
                progress(blocks - HEADER_ROWS)
    return cursor.rowcount if cursor.rowcount >= 0 else max(0, blocks - HEADER_ROWS)
