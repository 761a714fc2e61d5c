"""Where an import's time goes: reading and checking, then PostgreSQL.

    uv run python bench/import_split.py [--orders 10000] [--seed 8]

In one process, against a throwaway PostgreSQL and the AWS emulator, the same generated
CSV (bench/order_csv.py) is run twice through the processor's own code:

1. read and check: csv_orders over the S3 object and to_order on each order, nothing
   written (parsing, decoding and the order rules);
2. import: ImportJobs.run as the processor composes it.

PostgreSQL's share is (2) - (1). Figures only, as noisy as the machine.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
from sqlalchemy import Engine

from bench_links import unserved_links
from conveyor_aws.bootstrap import bootstrap
from conveyor_aws.resources import ResourceNames
from conveyor_common.events import FileUploaded
from conveyor_common.imports.job import ImportJob
from conveyor_common.imports.model import FileType, ImportMode
from conveyor_common.jobs import JobStatus
from conveyor_devstack.moto_server import MotoServer
from conveyor_devstack.postgres import TempPostgres
from order_csv import write_orders_csv

TENANT = "bench-split"
KEY = "uploads/bench-split/orders.csv"


def uploaded(bucket: str, path: Path) -> tuple[ImportJob, FileUploaded]:
    now, size = datetime.now(UTC), path.stat().st_size
    job = ImportJob(
        tenant_id=TENANT,
        file_id=uuid.uuid4(),
        requested_by="bench",
        original_name=path.name,
        notify=(),
        status=JobStatus.PROCESSING,
        created_at=now,
        expires_at=now + timedelta(days=1),
        bucket=bucket,
        object_key=KEY,
        file_type=FileType.CSV,
        file_size_bytes=size,
    )
    request = FileUploaded(
        file_id=job.file_id,
        requested_by=job.requested_by,
        original_name=job.original_name,
        mode=ImportMode.IMPORT,
        notify=(),
        bucket=bucket,
        object_key=KEY,
        file_type=FileType.CSV,
        file_size_bytes=size,
        uploaded_at=now,
        expires_at=job.expires_at,
    )
    return job, request


def read_and_check(bucket: str, request: FileUploaded) -> int:
    from conveyor_processor.imports.csv_orders import csv_orders
    from conveyor_processor.imports.files import S3ImportFiles
    from conveyor_processor.imports.mapping import to_order
    from conveyor_processor.imports.source import CountingReader, utf8_lines

    reader = CountingReader(S3ImportFiles(links=unserved_links()).open_upload(bucket, KEY))
    rows = 0
    for read in csv_orders(utf8_lines(reader.chunks())):
        to_order(read, tenant_id=TENANT, uploaded_at=request.uploaded_at)
        rows += read.rows
    return rows


def imported(engine: Engine, job: ImportJob, request: FileUploaded) -> int:
    from conveyor_processor.imports.files import S3ImportFiles
    from conveyor_processor.imports.history import import_history
    from conveyor_processor.imports.kind import ImportJobs
    from conveyor_processor.imports.upserts import SqlOrderUpserts

    hooks = ImportJobs(
        history=import_history(engine),
        files=S3ImportFiles(links=unserved_links()),
        upserts=SqlOrderUpserts(engine),
    )
    return hooks.run(job, request, progress=lambda units, rows=None: None).rows_imported


def timed(label: str, run: Callable[[], int]) -> float:
    started = time.monotonic()
    rows = run()
    seconds = time.monotonic() - started
    print(f"  {label:<28} {rows:>9,} rows {seconds:8.1f} s {rows / seconds:9,.0f} rows/s")
    return seconds


def split(database_url: str, env: dict[str, str], *, orders: int, seed: int) -> None:
    from conveyor_processor.db import build_engine

    engine = build_engine(database_url)
    bucket = env["UPLOADS_BUCKET"]
    with tempfile.TemporaryDirectory(prefix="bench-split-") as directory:
        path = Path(directory, "orders.csv")
        write_orders_csv(path, orders=orders, seed=seed)
        boto3.client("s3").upload_file(str(path), bucket, KEY)
        job, request = uploaded(bucket, path)
    print(f"{orders:,} orders:", flush=True)
    check = timed("read and check", lambda: read_and_check(bucket, request))
    whole = timed("import", lambda: imported(engine, job, request))
    print(
        f"  split of the import: reading and checking {check / whole:.0%},"
        f" PostgreSQL {(whole - check) / whole:.0%}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args()
    with TempPostgres() as postgres, MotoServer() as moto:
        from conveyor_processor.migrate import upgrade

        os.environ.update(moto.env)
        env = bootstrap(ResourceNames())
        os.environ.update(env)
        upgrade(postgres.url)
        split(postgres.url, env, orders=args.orders, seed=args.seed)


if __name__ == "__main__":
    main()
