"""Renders an export's file from PostgreSQL, one writer per format.

Each export reads in one read-only, repeatable-read transaction, so the file
is a consistent snapshot however long it takes. The XLSX and PDF writers are
imported only when used: the worker loads WeasyPrint only to render a PDF.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO, cast

import psycopg
from psycopg import IsolationLevel

from conveyor_common.clock import Clock, utc_now
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


@dataclass(frozen=True)
class _Rendering:
    """One export being written: where its rows come from and where its bytes go."""

    connection: psycopg.Connection[Any]
    job: ExportJob
    export: ResolvedExport
    sink: Sink
    progress: Progress
    generated_at: datetime


Writer = Callable[[_Rendering], int]


def _csv(rendering: _Rendering) -> int:
    job = rendering.job
    with rendering.connection.cursor() as cursor:
        return write_csv(
            cursor,
            copy_query(rendering.export, tenant_id=job.tenant_id),
            sink=rendering.sink,
            include_bom=job.include_bom,
            progress=rendering.progress,
        )


def _xlsx(rendering: _Rendering) -> int:
    from conveyor_processor.exports.writers.xlsx import write_xlsx

    with _rows(rendering) as rows:
        return write_xlsx(
            rows,
            columns=rendering.export.columns,
            sink=_binary(rendering.sink),
            title=rendering.job.title,
            progress=rendering.progress,
        )


def _pdf(rendering: _Rendering) -> int:
    from conveyor_processor.exports.writers.pdf import write_pdf

    with _rows(rendering) as rows:
        return write_pdf(
            rows,
            columns=rendering.export.columns,
            sink=_binary(rendering.sink),
            title=rendering.job.title,
            filters=rendering.job.filters,
            generated_at=rendering.generated_at,
            progress=rendering.progress,
        )


WRITERS: dict[ExportFormat, Writer] = {
    ExportFormat.CSV: _csv,
    ExportFormat.XLSX: _xlsx,
    ExportFormat.PDF: _pdf,
}


@contextmanager
def _rows(rendering: _Rendering) -> Iterator[Iterator[tuple[Any, ...]]]:
    """Typed rows from a server-side cursor: memory holds one fetch, not the result."""
    job = rendering.job
    query = select_query(rendering.export, tenant_id=job.tenant_id)
    with rendering.connection.cursor(name=f"export_{job.export_id.hex}") as cursor:
        cursor.itersize = CURSOR_ITERSIZE_ROWS
        cursor.execute(query.sql, query.params)
        yield iter(cursor)


def _binary(sink: Sink) -> BinaryIO:
    # The writers only write and tell, which every Sink does.
    return cast(BinaryIO, sink)


class PostgresRenderer:
    def __init__(self, database_url: str, *, clock: Clock = utc_now) -> None:
        self._database_url = database_url
        self._clock = clock

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
            return writer(
                _Rendering(connection, job, export, sink, progress, generated_at=self._clock())
            )
