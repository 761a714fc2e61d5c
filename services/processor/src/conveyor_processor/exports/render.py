"""Renders an export's file from PostgreSQL, one writer per format.

Each export reads in one read-only, repeatable-read transaction, so the file
is a consistent snapshot however long it takes. The XLSX and PDF writers are
imported only when used: the worker loads WeasyPrint only to render a PDF.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO, cast

import psycopg
from psycopg import IsolationLevel

from conveyor_common.clock import utc_now
from conveyor_common.exports.job import ExportJob
from conveyor_common.exports.model import ExportFormat
from conveyor_common.exports.query import copy_query, select_query
from conveyor_common.exports.registry import ResolvedExport
from conveyor_processor.exports.csv_copy import write_csv
from conveyor_processor.exports.ports import Sink
from conveyor_processor.jobs.ports import Progress

# Rows fetched per round trip from the server-side cursor.
CURSOR_ITERSIZE_ROWS = 5000
CONNECT_TIMEOUT_SECONDS = 10
APPLICATION_NAME = "conveyor-processor-export"

Writer = Callable[[psycopg.Connection[Any], ExportJob, ResolvedExport, Sink, Progress], int]


def _csv(
    connection: psycopg.Connection[Any],
    job: ExportJob,
    export: ResolvedExport,
    sink: Sink,
    progress: Progress,
) -> int:
    with connection.cursor() as cursor:
        return write_csv(
            cursor,
            copy_query(export, tenant_id=job.tenant_id),
            sink=sink,
            include_bom=job.include_bom,
            progress=progress,
        )


def _xlsx(
    connection: psycopg.Connection[Any],
    job: ExportJob,
    export: ResolvedExport,
    sink: Sink,
    progress: Progress,
) -> int:
    from conveyor_processor.exports.writers.xlsx import write_xlsx

    with _rows(connection, job, export) as rows:
        return write_xlsx(
            rows, columns=export.columns, sink=_binary(sink), title=job.title, progress=progress
        )


def _pdf(
    connection: psycopg.Connection[Any],
    job: ExportJob,
    export: ResolvedExport,
    sink: Sink,
    progress: Progress,
) -> int:
    from conveyor_processor.exports.writers.pdf import write_pdf

    with _rows(connection, job, export) as rows:
        return write_pdf(
            rows,
            columns=export.columns,
            sink=_binary(sink),
            title=job.title,
            filters=job.filters,
            generated_at=utc_now(),
            progress=progress,
        )


WRITERS: dict[ExportFormat, Writer] = {
    ExportFormat.CSV: _csv,
    ExportFormat.XLSX: _xlsx,
    ExportFormat.PDF: _pdf,
}


@contextmanager
def _rows(
    connection: psycopg.Connection[Any], job: ExportJob, export: ResolvedExport
) -> Iterator[Iterator[tuple[Any, ...]]]:
    """Typed rows from a server-side cursor: memory holds one fetch, not the result."""
    query = select_query(export, tenant_id=job.tenant_id)
    with connection.cursor(name=f"export_{job.export_id.hex}") as cursor:
        cursor.itersize = CURSOR_ITERSIZE_ROWS
        cursor.execute(query.sql, query.params)
        yield iter(cursor)


def _binary(sink: Sink) -> BinaryIO:
    # The writers only write and tell, which every Sink does.
    return cast(BinaryIO, sink)


class PostgresRenderer:
    def __init__(self, database_url: str) -> None:
        self._database_url = database_url

    def __call__(
        self, job: ExportJob, export: ResolvedExport, *, sink: Sink, progress: Progress
    ) -> int:
        writer = WRITERS[job.format]
        with psycopg.connect(
            self._database_url,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            application_name=APPLICATION_NAME,
        ) as connection:
            connection.read_only = True
            connection.isolation_level = IsolationLevel.REPEATABLE_READ
            return writer(connection, job, export, sink, progress)
