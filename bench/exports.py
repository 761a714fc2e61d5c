"""Export throughput and memory: the processor's code path against a raw baseline.

    uv run python bench/exports.py [--rows 500000] [--formats csv,xlsx,pdf] [--pdf-rows N]
        [--pdf-baseline-rows 1000] [--columns orderId,createdAt,...]

Seeds `rows` orders (one item each) into a throwaway PostgreSQL with COPY, starts
the AWS emulator, then for each format runs, each in its own child process:

- baseline: CSV = a plain `COPY (SELECT <the export's orders columns, as stored> FROM
  orders WHERE tenant_id = … ORDER BY created_at, order_id) TO STDOUT (FORMAT csv)` into the
  same S3 multipart upload: no escaping, no time formatting, so the ratio
  is the export's distance from the cheapest way PostgreSQL can send these rows;
  XLSX = bare openpyxl write-only rows from a server-side cursor into a temp file;
  PDF = bare WeasyPrint of the same table in one document, at `--pdf-baseline-rows`
  (bare WeasyPrint at the 20,000-row limit needs about 4 GB and minutes, so the
  baseline rate comes from a smaller document);
- processor: the worker's render path (conveyor_processor.exports.render.PostgresRenderer
  into S3ExportFiles' multipart upload), the same call the export use case makes.

Peak RSS is sampled from /proc every 50 ms as the sum over the child and all its
descendants (the PDF renderer processes included), and the child's own peak
(VmHWM) is shown beside it. Prints figures only; the machine is shared and
noisy, so compare ratios within one run.
"""

from __future__ import annotations

import argparse
import io
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from bench_links import unserved_links
from conveyor_aws.bootstrap import bootstrap
from conveyor_aws.resources import ResourceNames
from conveyor_common.exports.model import MAX_ROWS_PDF, ExportFormat, ExportRequest
from conveyor_common.exports.query import select_query
from conveyor_common.exports.registry import ColumnType, ResolvedExport, resolve
from conveyor_common.progress import progress_bar
from conveyor_devstack.moto_server import MotoServer
from conveyor_devstack.postgres import TempPostgres
from conveyor_devstack.seed import seed_orders, seeded_rows
from measured import Measured, child_result, measure_child, report

TENANT = "bench"
CURSOR_ITERSIZE_ROWS = 5000
SEEDED_FROM = datetime(2024, 1, 1, tzinfo=UTC)
TARGETS = {"csv": 0.7, "xlsx": 0.85}
# Peak RSS of the processor's tree, at any size; PDF's counts its renderer processes.
PEAK_RSS_TARGETS_MIB = {"csv": 200, "xlsx": 200, "pdf": 400}


# --- seeding --------------------------------------------------------------------------------


def seed(database_url: str, rows: int) -> None:
    started = time.monotonic()
    # One order a second, so the first N orders are a createdAt range (row_filters).
    with progress_bar(f"seeding {rows:,} orders", length=seeded_rows(rows)) as bar:
        seed_orders(
            database_url,
            tenant=TENANT,
            count=rows,
            start=SEEDED_FROM,
            step=timedelta(seconds=1),
            progress=bar.to,
        )
    print(f"seeded {rows:,} orders in {time.monotonic() - started:.1f} s", flush=True)


# --- child side: one measured run -----------------------------------------------------------


def row_filters(limit: int) -> dict[str, Any]:
    """The first `limit` orders, as a createdAt range: orders were seeded one a second."""
    return {"createdAt": {"to": (SEEDED_FROM + timedelta(seconds=limit)).isoformat()}}


def resolved(export_format: ExportFormat, limit: int, columns: list[str] | None) -> ResolvedExport:
    request = ExportRequest(
        resource="orders", format=export_format, filters=row_filters(limit), columns=columns
    )
    return resolve(request)


def run_child(kind: str, export_format: ExportFormat, limit: int, columns: list[str] | None) -> str:
    database_url = os.environ["DATABASE_URL"]
    export = resolved(export_format, limit, columns)
    started = time.monotonic()
    if kind == "baseline":
        rows, size_bytes = BASELINES[export_format](database_url, export, limit)
    else:
        rows, size_bytes = processor_run(database_url, export, export_format, limit)
    seconds = time.monotonic() - started
    return child_result(rows=rows, size_bytes=size_bytes, seconds=seconds)


def processor_run(
    database_url: str, export: ResolvedExport, export_format: ExportFormat, limit: int
) -> tuple[int, int]:
    from conveyor_common.exports.job import ExportJob, object_key
    from conveyor_common.jobs import JobStatus
    from conveyor_processor.exports.files import S3ExportFiles
    from conveyor_processor.exports.render import PostgresRenderer

    now = datetime.now(UTC)
    job = ExportJob(
        export_id=uuid.uuid4(),
        tenant_id=TENANT,
        requested_by="bench",
        resource="orders",
        format=export_format,
        filters=row_filters(limit),
        title="Bench orders",
        notify=("bench@example.com",),
        status=JobStatus.PROCESSING,
        estimated_row_count=limit,
        created_at=now,
        expires_at=now + timedelta(days=30),
    )
    files = S3ExportFiles(bucket=os.environ["EXPORTS_BUCKET"], links=unserved_links())
    key = object_key(job, "bench")
    with files.open(key, content_type=export_format.content_type, file_name="bench") as sink:
        rows = PostgresRenderer(database_url)(job, export, sink=sink, progress=lambda rows: None)
    return rows, sink.tell()


# The orders columns the export shows, as stored (the item count too, since it is stored).
PLAIN_CSV_SQL = (
    "COPY (SELECT order_id, created_at, status, customer_id, customer_name, customer_email,"
    " currency, item_count, total_amount, persisted_at FROM orders"
    " WHERE tenant_id = %(tenant_id)s AND created_at < %(to)s"
    " ORDER BY created_at, order_id) TO STDOUT (FORMAT csv)"
)


def csv_baseline(database_url: str, export: ResolvedExport, limit: int) -> tuple[int, int]:
    """The same rows as the export (the first `limit` orders) by plain COPY, unformatted."""
    from conveyor_aws.s3_stream import MultipartUpload

    params = {"tenant_id": TENANT, "to": SEEDED_FROM + timedelta(seconds=limit)}
    upload = MultipartUpload(
        bucket=os.environ["EXPORTS_BUCKET"],
        key=f"bench/baseline-{uuid.uuid4()}.csv",
        content_type=ExportFormat.CSV.content_type,
    )
    with upload, psycopg.connect(database_url) as connection, connection.cursor() as cursor:
        with cursor.copy(PLAIN_CSV_SQL, params) as copy:
            for block in copy:
                upload.write(block)
        rows = cursor.rowcount
    return rows, upload.tell()


def xlsx_baseline(database_url: str, export: ResolvedExport, limit: int) -> tuple[int, int]:
    from openpyxl import Workbook

    query = _openpyxl_ready(select_query(export, tenant_id=TENANT).sql, export)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    rows = 0
    with psycopg.connect(database_url) as connection, connection.cursor(name="bench") as cursor:
        cursor.itersize = CURSOR_ITERSIZE_ROWS
        cursor.execute(query, select_query(export, tenant_id=TENANT).params)
        sheet.append([column.label for column in export.columns])
        for row in cursor:
            sheet.append(row)
            rows += 1
    with tempfile.NamedTemporaryFile(suffix=".xlsx") as target:
        workbook.save(target)
        return rows, target.tell()


def _openpyxl_ready(sql: str, export: ResolvedExport) -> str:
    """The same SELECT with the casts bare openpyxl needs: text UUIDs, naive UTC times."""
    for column in export.columns:
        if column.type is ColumnType.UUID:
            sql = sql.replace(column.sql, f"{column.sql}::text", 1)
        elif column.type is ColumnType.DATETIME:
            sql = sql.replace(column.sql, f"({column.sql} AT TIME ZONE 'UTC')", 1)
    return sql


def pdf_baseline(database_url: str, export: ResolvedExport, limit: int) -> tuple[int, int]:
    import weasyprint

    from conveyor_processor.exports.writers.pdf_html import (
        cell_formatters,
        chunk_html,
        heading,
        table_columns,
    )

    query = select_query(export, tenant_id=TENANT)
    formatters = cell_formatters(export.columns)
    with psycopg.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute(f"{query.sql} LIMIT {int(limit)}", query.params)
        rows = [[f(v) for f, v in zip(formatters, row, strict=True)] for row in cursor]
    first = heading(
        title="Bench orders", filters=row_filters(limit), generated_at=datetime.now(UTC)
    )
    html = chunk_html(rows, columns=table_columns(export.columns), heading=first)
    target = io.BytesIO()
    weasyprint.HTML(string=html).write_pdf(target)
    return len(rows), len(target.getvalue())


BASELINES = {
    ExportFormat.CSV: csv_baseline,
    ExportFormat.XLSX: xlsx_baseline,
    ExportFormat.PDF: pdf_baseline,
}


# --- parent side: run children, sample their memory -----------------------------------------


def measure(
    kind: str, export_format: ExportFormat, limit: int, *, columns: str | None, env: dict[str, str]
) -> Measured:
    arguments = ["--child", kind, "--formats", export_format.value, "--rows", str(limit)]
    if columns:
        arguments += ["--columns", columns]
    return measure_child(__file__, arguments, env=env)


def compare(export_format: ExportFormat, *, baseline: Measured, processor: Measured) -> None:
    """The processor's rate as a ratio of the baseline's, and its peak RSS, beside the targets."""
    ratio = processor.rows_per_second / baseline.rows_per_second
    target = TARGETS.get(export_format.value)
    goal = f" (target >= {target}: {'PASS' if ratio >= target else 'MISS'})" if target else ""
    print(f"  ratio      {ratio:.2f}x baseline rows/s{goal}", flush=True)
    peak, limit = processor.tree_peak_mib, PEAK_RSS_TARGETS_MIB[export_format.value]
    verdict = "PASS" if peak <= limit else "MISS"
    print(f"  peak RSS   {peak:.0f} MB (target <= {limit} MB: {verdict})", flush=True)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--formats", default="csv,xlsx,pdf")
    parser.add_argument("--pdf-rows", type=int, default=MAX_ROWS_PDF)
    parser.add_argument("--pdf-baseline-rows", type=int, default=1000)
    # The export's columns (default: all): e.g. without itemCount, to see what its count costs.
    parser.add_argument("--columns", help="comma-separated column names of the orders export")
    parser.add_argument("--child", choices=["baseline", "processor"], help=argparse.SUPPRESS)
    return parser.parse_args()


def bench_format(
    export_format: ExportFormat, args: argparse.Namespace, *, seeded: int, env: dict[str, str]
) -> None:
    if export_format is ExportFormat.PDF:
        limit, baseline_limit = min(args.pdf_rows, seeded), args.pdf_baseline_rows
    else:
        limit = baseline_limit = args.rows
    print(f"{export_format.value}:", flush=True)
    baseline = measure("baseline", export_format, baseline_limit, columns=args.columns, env=env)
    report("baseline", baseline)
    processor = measure("processor", export_format, limit, columns=args.columns, env=env)
    report("processor", processor)
    compare(export_format, baseline=baseline, processor=processor)


def main() -> None:
    args = arguments()
    formats = [ExportFormat(name) for name in args.formats.split(",")]
    if args.child:
        columns = args.columns.split(",") if args.columns else None
        print(run_child(args.child, formats[0], args.rows, columns))
        return

    os.environ["UV_PYTHON_DOWNLOADS"] = "never"
    seeded = max(args.rows, args.pdf_rows if ExportFormat.PDF in formats else 0)
    with TempPostgres() as postgres, MotoServer() as moto:
        from conveyor_processor.migrate import upgrade

        upgrade(postgres.url)
        seed(postgres.url, seeded)
        os.environ.update(moto.env)
        env = {**os.environ, **moto.env, "DATABASE_URL": postgres.url}
        env |= bootstrap(ResourceNames())
        for export_format in formats:
            bench_format(export_format, args, seeded=seeded, env=env)


if __name__ == "__main__":
    main()
