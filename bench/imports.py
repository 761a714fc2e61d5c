"""Import throughput and memory: a generated CSV through the presigned path and the real
processor, against a raw baseline measured in the same run.

    uv run python bench/imports.py [--orders 250000,1000000] [--seed 8]

For each size, a CSV of that many orders (one to three items each, from a fixed seed) is
written to a temp file as it is generated, then:

1. upload: POST /api/v1/files for a presigned S3 POST, the file posted to it (streamed);
2. baseline, in its own child process: csv.reader over the same S3 object (streamed from
   the emulator) and COPY ... FROM STDIN into orders and order_items (the columns the
   import writes), in batches, with no validation: the issue's baseline;
3. import: POST /api/v1/files/{id}/complete, and the processor, running as its own
   process as in production (restarted first, so its peak is this import's), imports the
   file; timed from the complete call until the file's record says it ended.

The import's rows/s is compared with the baseline's (the issue's target is 0.5x): both
write the same orders and items to PostgreSQL and nothing else, an imported order's only
store. The tables are emptied between the two, so each starts from the same state. Peak RSS is
sampled from /proc every 50 ms (the processor's tree), and its own peak (VmHWM) is shown
beside it. Prints figures only; the machine is shared and noisy, so compare ratios
within one run.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import httpx
import psycopg

from conveyor_common.imports.model import imported_order_id
from conveyor_common.progress import progress_bar
from conveyor_devstack.demo import mint_token
from conveyor_devstack.postgres import TempPostgres
from conveyor_devstack.stack import Stack
from measured import Measured, child_result, measure_child, report
from order_csv import write_orders_csv
from proc_memory import PeakSampler, own_peak_mib

FILES = "/api/v1/files"
DEFAULT_ORDERS = "250000,1000000"
DEFAULT_SEED = 8
# The baseline's batch: COPY the orders, then their items, then commit.
BASELINE_BATCH_ROWS = 10_000
S3_CHUNK_BYTES = 256 * 1024
POLL_SECONDS = 0.2
IMPORT_TIMEOUT_SECONDS = 4 * 3600
ENDED = ("COMPLETED", "FAILED", "CANCELLED")
TARGET_RATIO = 0.5
TARGET_PEAK_MIB = 200.0
TARGET_GROWTH = 0.10
BASELINE_TENANT = "bench-baseline"
ORDER_COLUMNS = (
    "order_id",
    "tenant_id",
    "customer_id",
    "customer_email",
    "customer_name",
    "currency",
    "total_amount",
    "item_count",
    "created_at",
    "persisted_at",
    "event_id",
    "correlation_id",
)
ITEM_COLUMNS = ("order_id", "line_no", "sku", "name", "quantity", "unit_price", "line_total")


# --- the file -------------------------------------------------------------------------------


def presigned_upload(api: httpx.Client, path: Path) -> dict[str, Any]:
    """The file posted to S3 through a presigned POST; the file's record (still PENDING)."""
    offer = api.post(
        FILES,
        json={
            "fileName": path.name,
            "contentType": "text/csv",
            "sizeBytes": path.stat().st_size,
            "mode": "import",
        },
    )
    offer.raise_for_status()
    body = offer.json()
    with path.open("rb") as file:
        posted = httpx.post(body["url"], data=body["fields"], files={"file": file}, timeout=3600)
    posted.raise_for_status()
    record = api.get(f"{FILES}/{body['fileId']}")
    record.raise_for_status()
    result: dict[str, Any] = record.json()
    return result


# --- child side: the baseline ---------------------------------------------------------------


def s3_lines(bucket: str, key: str) -> Iterator[str]:
    body = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"]
    for line in body.iter_lines(chunk_size=S3_CHUNK_BYTES, keepends=True):
        yield line.decode("utf-8")


class CopyBatches:
    """Rows buffered as CSV text and written with COPY, the orders before their items."""

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self._connection = connection
        self._orders, self._items = io.StringIO(), io.StringIO()
        self.orders, self.items = csv.writer(self._orders), csv.writer(self._items)
        self.rows = 0

    def flush(self) -> None:
        with self._connection.cursor() as cursor:
            for table, columns, buffer in (
                ("orders", ORDER_COLUMNS, self._orders),
                ("order_items", ITEM_COLUMNS, self._items),
            ):
                statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT csv)"
                with cursor.copy(statement) as copy:
                    copy.write(buffer.getvalue())
                buffer.seek(0)
                buffer.truncate()
        self._connection.commit()
        self.rows = 0


def baseline_run(bucket: str, key: str) -> int:
    """csv.reader over the S3 object, COPY into the tables; the rows read."""
    records = csv.reader(s3_lines(bucket, key))
    at = {name: index for index, name in enumerate(next(records))}
    ref_at, rows = at["orderId"], 0
    now, source = datetime.now(UTC).isoformat(), f"file:{uuid.uuid4()}"
    with psycopg.connect(os.environ["DATABASE_URL"]) as connection:
        batches = CopyBatches(connection)
        # An order's lines are held until the next order starts: its row stores their
        # number, and a batch never commits an order without all of its items.
        lines: list[list[str]] = []
        for cells in records:
            if lines and cells[ref_at] != lines[0][ref_at]:
                _add_order(batches, lines, at, now=now, source=source)
                lines = []
            lines.append(cells)
            rows += 1
        if lines:
            _add_order(batches, lines, at, now=now, source=source)
        batches.flush()
    return rows


def _add_order(
    batches: CopyBatches, lines: list[list[str]], at: dict[str, int], *, now: str, source: str
) -> None:
    order_id = imported_order_id(BASELINE_TENANT, lines[0][at["orderId"]])
    batches.orders.writerow(_order_row(lines[0], at, order_id, len(lines), now=now, source=source))
    for line_no, cells in enumerate(lines, start=1):
        batches.items.writerow(_item_row(cells, at, order_id, line_no=line_no))
    batches.rows += len(lines)
    if batches.rows >= BASELINE_BATCH_ROWS:
        batches.flush()


def _order_row(
    cells: list[str],
    at: dict[str, int],
    order_id: uuid.UUID,
    item_count: int,
    *,
    now: str,
    source: str,
) -> list[Any]:
    return [
        order_id,
        BASELINE_TENANT,
        *(cells[at[name]] for name in ("customerId", "customerEmail", "customerName")),
        cells[at["currency"]],
        cells[at["totalAmount"]],
        item_count,
        now,
        now,
        uuid.uuid5(order_id, "event"),
        source,
    ]


def _item_row(
    cells: list[str], at: dict[str, int], order_id: uuid.UUID, *, line_no: int
) -> list[Any]:
    quantity, price = cells[at["quantity"]], cells[at["unitPrice"]]
    line_total = Decimal(price) * int(quantity)
    return [order_id, line_no, cells[at["sku"]], cells[at["itemName"]], quantity, price, line_total]


def run_baseline_child(bucket: str, key: str) -> str:
    """The issue's baseline: csv.reader and COPY, timed."""
    started = time.monotonic()
    rows = baseline_run(bucket, key)
    seconds = time.monotonic() - started
    return child_result(rows=rows, size_bytes=_object_size(bucket, key), seconds=seconds)


def _object_size(bucket: str, key: str) -> int:
    return int(boto3.client("s3").head_object(Bucket=bucket, Key=key)["ContentLength"])


# --- parent side: the import by the processor -----------------------------------------------


def empty_orders(database_url: str) -> None:
    with psycopg.connect(database_url) as connection:
        connection.execute("TRUNCATE order_items, orders")


def fresh_processor(stack: Stack) -> int:
    """The processor restarted, so that its peak RSS is this import's; its pid."""
    stack.services.pop("processor").stop()
    process = stack.start_service("processor").process
    assert process is not None
    return process.pid


def finished(api: httpx.Client, file_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + IMPORT_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        response = api.get(f"{FILES}/{file_id}")
        if response.status_code == 503:
            # The API sheds load while the emulator is slow: ask again after Retry-After.
            time.sleep(float(response.headers.get("Retry-After", "1")))
            continue
        record: dict[str, Any] = response.raise_for_status().json()
        if record["status"] in ENDED:
            return record
        time.sleep(POLL_SECONDS)
    raise TimeoutError(f"the import of {file_id} did not end in {IMPORT_TIMEOUT_SECONDS} s")


def measure_import(stack: Stack, api: httpx.Client, file_id: str) -> Measured:
    pid = fresh_processor(stack)
    print(f"  processor idle RSS {own_peak_mib(pid):.0f} MB (own peak at start)", flush=True)
    with PeakSampler(pid) as sampler:
        started = time.monotonic()
        api.post(f"{FILES}/{file_id}/complete").raise_for_status()
        record = finished(api, file_id)
        seconds = time.monotonic() - started
    if record["status"] != "COMPLETED" or record["rowsImported"] != record["rowsTotal"]:
        raise RuntimeError(f"the import did not complete cleanly: {record}")
    return Measured(
        rows=record["rowsTotal"],
        size_bytes=record["fileSize"],
        seconds=seconds,
        tree_peak_mib=sampler.peak_mib,
        own_peak_mib=own_peak_mib(pid),
    )


# --- one size, and the targets --------------------------------------------------------------


@dataclass
class SizeResult:
    orders: int
    baseline: Measured
    imported: Measured

    @property
    def ratio(self) -> float:
        """To the issue's baseline: csv.reader + COPY."""
        return self.imported.rows_per_second / self.baseline.rows_per_second

    @property
    def peak_mib(self) -> float:
        return max(self.imported.tree_peak_mib, self.imported.own_peak_mib)


def run_size(stack: Stack, api: httpx.Client, *, orders: int, seed: int) -> SizeResult:
    print(f"{orders:,} orders:", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-imports-") as directory:
        path = Path(directory, f"orders-{orders}.csv")
        started = time.monotonic()
        with progress_bar(f"  generating {orders:,} orders", length=orders) as bar:
            rows = write_orders_csv(path, orders=orders, seed=seed, progress=bar.to)
        size_mib = path.stat().st_size / 2**20
        print(f"  generated {rows:,} rows, {size_mib:.0f} MB in {time.monotonic() - started:.1f} s")
        started = time.monotonic()
        record = presigned_upload(api, path)
    print(f"  presigned upload in {time.monotonic() - started:.1f} s", flush=True)
    where = [record["s3Bucket"], record["s3Key"]]
    baseline = measure_child(__file__, ["--child-baseline", *where], env=stack.env)
    report("baseline", baseline)
    empty_orders(str(stack.database_url))
    imported = measure_import(stack, api, record["id"])
    report("import", imported)
    result = SizeResult(orders=orders, baseline=baseline, imported=imported)
    print(f"  ratio      {result.ratio:.2f}x the baseline (target >= {TARGET_RATIO}x)", flush=True)
    return result


def verdict(met: bool) -> str:
    return "PASS" if met else "MISS"


def print_targets(results: list[SizeResult]) -> None:
    print("targets:")
    for result in results:
        met = result.ratio >= TARGET_RATIO
        print(
            f"  {verdict(met)} ratio to the issue's baseline at {result.orders:,} orders"
            f" {result.ratio:.2f}x (target >= {TARGET_RATIO}x)"
        )
    peak = max(result.peak_mib for result in results)
    print(f"  {verdict(peak <= TARGET_PEAK_MIB)} peak RSS {peak:.0f} MB (target <= 200 MB)")
    if len(results) > 1:
        small, large = results[0], results[-1]
        growth = large.peak_mib / small.peak_mib - 1
        print(
            f"  {verdict(abs(growth) <= TARGET_GROWTH)} peak RSS at {large.orders:,} orders"
            f" {large.peak_mib:.0f} MB vs {small.peak_mib:.0f} MB at {small.orders:,}:"
            f" {growth:+.1%} (target within 10 %)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", default=DEFAULT_ORDERS, help="comma-separated sizes")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--child-baseline", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_baseline:
        print(run_baseline_child(*args.child_baseline))
        return
    sizes = sorted(int(size) for size in args.orders.split(","))
    log_dir = Path(".devstack/bench-logs").resolve()
    with TempPostgres() as postgres, Stack(database_url=postgres.url, log_dir=log_dir) as stack:
        token = mint_token(stack.env)
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=stack.producer_url, headers=headers, timeout=120) as api:
            results = [run_size(stack, api, orders=size, seed=args.seed) for size in sizes]
    print_targets(results)


if __name__ == "__main__":
    main()
