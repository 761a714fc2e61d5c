"""A crash does not import twice: imports whose processor is killed with SIGKILL mid-file
complete once, with the counts of one clean run, through the running services."""

from __future__ import annotations

import signal
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import httpx
import psutil
import psycopg
import pytest

from conveyor_common.imports.model import error_report_key
from conveyor_devstack.stack import Stack

from .conftest import eventually, queue_depth
from .test_imports import (
    NO_CURRENCY,
    SLOW_SECONDS,
    Uploader,
    csv_file,
    emails_to,
    order_line,
    report_rows,
)

pytestmark = pytest.mark.e2e

# Orders of two lines each: enough that the kill lands with several batches of 500
# committed and most of the file still to read.
ORDERS = 5_000
# A dry run reads much faster (it writes nothing): a longer file keeps the kill mid-file.
VALIDATED_ORDERS = 12_000
# Where the rejected rows are planted, among the orders: before, around and after the
# import's kill.
BAD_AFTER = (10, 1_600, 4_900)
# The import is under way, well past its start, once this many orders are stored.
COMMITTED_BEFORE_KILL = 1_500
# What a second completion would change.
ENDED_FIELDS = (
    "status",
    "processedAt",
    "rowsTotal",
    "rowsImported",
    "rowsUnchanged",
    "rowsRejected",
)
# A delivery whose worker died comes back after the visibility timeout, and its job is
# claimed again once the lease has run out: both short here.
FAULT_ENV = {"VISIBILITY_TIMEOUT_SECONDS": "10", "IMPORT_LEASE_SECONDS": "10"}


@pytest.fixture(scope="module")
def fault_env(stack: Stack) -> Iterator[dict[str, str]]:
    """The processor restarted, for this module, with short leases; the usual one is back
    afterwards."""
    stack.services["processor"].stop()
    stack.start_service("processor", env=FAULT_ENV)
    try:
        yield FAULT_ENV
    finally:
        stack.services["processor"].stop()
        stack.start_service("processor")


@pytest.fixture
def uploader(stack: Stack, fault_env: dict[str, str]) -> Iterator[Uploader]:
    created = Uploader(stack)
    yield created
    created.api.close()


def kill_and_restart_processor(stack: Stack, env: dict[str, str]) -> None:
    """SIGKILL to the processor and every process it started, then a new processor."""
    service = stack.services["processor"]
    assert service.process is not None
    parent = psutil.Process(service.process.pid)
    for process in [*parent.children(recursive=True), parent]:
        process.send_signal(signal.SIGKILL)
    service.stop()  # reaps it
    stack.start_service("processor", env=env)


def planted_file(orders: int) -> tuple[bytes, list[int]]:
    """Valid orders of two items, and a rejected one-line order (a currency no one has)
    after each order numbered in BAD_AFTER; the file, and the rejected lines."""
    lines: list[str] = []
    rejected: list[int] = []
    for n in range(1, orders + 1):
        order_id, customer = f"K-{n:05d}", f"c-{n:05d}"
        lines.append(order_line(order_id, customer, totalAmount="29.00"))
        lines.append(
            order_line(
                order_id,
                customer,
                sku="SKU-2",
                quantity="1",
                unitPrice="10.00",
                totalAmount="29.00",
            )
        )
        if n in BAD_AFTER:
            lines.append(order_line(f"X-{n}", f"x-{n}", currency=NO_CURRENCY))
            rejected.append(len(lines) + 1)  # the header is line 1
    return csv_file(*lines), rejected


def stored_count(stack: Stack, tenant: str) -> int:
    with psycopg.connect(str(stack.database_url)) as connection:
        row = connection.execute(
            "SELECT count(*) FROM orders WHERE tenant_id = %s", (tenant,)
        ).fetchone()
        return int(row[0]) if row else 0


def stored_items(stack: Stack, tenant: str) -> dict[str, list[tuple[int, str, int]]]:
    """Each stored order of the tenant, by customer, with its items (line, sku, quantity)."""
    with psycopg.connect(str(stack.database_url)) as connection:
        rows = connection.execute(
            "SELECT o.customer_id, i.line_no, i.sku, i.quantity FROM orders o"
            " JOIN order_items i USING (order_id) WHERE o.tenant_id = %s"
            " ORDER BY o.customer_id, i.line_no",
            (tenant,),
        ).fetchall()
    found: dict[str, list[tuple[int, str, int]]] = {}
    for customer, line_no, sku, quantity in rows:
        found.setdefault(customer, []).append((line_no, sku, quantity))
    return found


def drained(stack: Stack, aws_client: Callable[[str], Any]) -> bool:
    queues = [stack.env["PROCESSOR_QUEUE"], stack.env["NOTIFIER_QUEUE"]]
    return all(queue_depth(aws_client, queue) == 0 for queue in queues)


def parked(stack: Stack, aws_client: Callable[[str], Any]) -> list[int]:
    queues = [stack.env["PROCESSOR_QUEUE"], stack.env["NOTIFIER_QUEUE"]]
    return [queue_depth(aws_client, f"{queue}-dlq") for queue in queues]


def open_uploads(aws_client: Callable[[str], Any], bucket: str, prefix: str) -> list[Any]:
    found: list[Any] = []
    pages = aws_client("s3").get_paginator("list_multipart_uploads")
    for page in pages.paginate(Bucket=bucket, Prefix=prefix):
        found.extend(page.get("Uploads", []))
    return found


def under_way(
    uploader: Uploader, file_id: str, committed: Callable[[], int], *, at_least: int
) -> dict[str, Any]:
    """The record, once the import has read part of the file and `committed` says at least
    `at_least`; then killed at once, it is still far from its end."""

    def started() -> dict[str, Any] | None:
        record = uploader.record(file_id)
        assert record["status"] in ("PENDING", "PROCESSING"), record
        progress = record.get("progressPercentage") or 0
        return record if progress > 0 and committed() >= at_least else None

    return eventually(started, what="the import under way", seconds=SLOW_SECONDS)


def killed_mid_file(
    stack: Stack,
    uploader: Uploader,
    env: dict[str, str],
    *,
    name: str,
    orders: int,
    committed: Callable[[], int],
    at_least: int,
    **fields: str,
) -> str:
    """Upload the planted file; kill the processor once the job has read part of it and
    `committed` says at least `at_least`, and start it again. The file's id."""
    content, _ = planted_file(orders)
    accepted = uploader.upload(name, content, fields=fields)
    assert accepted.status_code == 202, accepted.text
    file_id: str = accepted.json()["fileId"]
    under_way(uploader, file_id, committed, at_least=at_least)
    kill_and_restart_processor(stack, env)
    # killed mid-file, not after its end
    assert uploader.record(file_id)["status"] == "PROCESSING"
    return file_id


def assert_counted_as_one_run(done: dict[str, Any], *, orders: int) -> None:
    """The counts (of rows) and the error report of one run through the planted file."""
    _, rejected = planted_file(orders)
    assert done["status"] == "COMPLETED", done
    counts = [done[f"rows{kind}"] for kind in ("Total", "Imported", "Unchanged", "Rejected")]
    assert counts == [2 * orders + len(rejected), 2 * orders, 0, len(rejected)]
    # each bad row once in the report, though the file was read again from its start
    report = report_rows(httpx.get(done["errorReportUrl"], timeout=30).content)
    assert [(int(row[0]), row[3]) for row in report] == [
        (line, "unknown-currency") for line in rejected
    ]


def test_an_import_whose_processor_was_killed_completes_once_with_the_counts_of_one_run(
    stack: Stack, uploader: Uploader, aws_client: Callable[[str], Any], fault_env: dict[str, str]
) -> None:
    # given a CSV of orders and planted bad rows, being imported: several batches stored
    dead_letters = parked(stack, aws_client)
    committed = partial(stored_count, stack, uploader.tenant)

    # when the processor is killed mid-file and started again
    file_id = killed_mid_file(
        stack,
        uploader,
        fault_env,
        name="killed.csv",
        orders=ORDERS,
        committed=committed,
        at_least=COMMITTED_BEFORE_KILL,
    )
    assert COMMITTED_BEFORE_KILL <= committed() < ORDERS

    # then the import is resumed once the lease ran out, and completes as one run would
    done = uploader.finished(file_id)
    assert_counted_as_one_run(done, orders=ORDERS)
    # and each order is stored once, with exactly its two items
    items = stored_items(stack, uploader.tenant)
    assert len(items) == ORDERS
    assert {tuple(lines) for lines in items.values()} == {((1, "SKU-1", 2), (2, "SKU-2", 1))}
    assert_finished_once(stack, uploader, aws_client, done, dead_letters=dead_letters)
    assert emails_to(stack, uploader.email)[0].subject == 'Your file "killed.csv" was imported'


def test_a_validation_whose_processor_was_killed_completes_once_and_writes_nothing(
    stack: Stack, uploader: Uploader, aws_client: Callable[[str], Any], fault_env: dict[str, str]
) -> None:
    # given the same file, being validated (a dry run: nothing to count in PostgreSQL)
    dead_letters = parked(stack, aws_client)

    # when the processor is killed mid-file and started again
    file_id = killed_mid_file(
        stack,
        uploader,
        fault_env,
        name="dry.csv",
        orders=VALIDATED_ORDERS,
        committed=lambda: 0,
        at_least=0,
        mode="validate",
    )

    # then the validation is resumed, counts as one run would, and writes nothing
    done = uploader.finished(file_id)
    assert done["mode"] == "validate"
    assert_counted_as_one_run(done, orders=VALIDATED_ORDERS)
    assert stored_count(stack, uploader.tenant) == 0
    assert_finished_once(stack, uploader, aws_client, done, dead_letters=dead_letters)
    subject = emails_to(stack, uploader.email)[0].subject
    assert subject == 'Your file "dry.csv" was checked (dry run)'


def assert_finished_once(
    stack: Stack,
    uploader: Uploader,
    aws_client: Callable[[str], Any],
    done: dict[str, Any],
    *,
    dead_letters: list[int],
) -> None:
    """Once every delivery is settled: one e-mail, the record as it first ended, no
    multipart upload left open, nothing parked."""
    eventually(partial(emails_to, stack, uploader.email), what="the e-mail")
    eventually(partial(drained, stack, aws_client), what="drained queues", seconds=SLOW_SECONDS)
    assert len(emails_to(stack, uploader.email)) == 1
    final = uploader.record(done["id"])
    assert {key: final[key] for key in ENDED_FIELDS} == {key: done[key] for key in ENDED_FIELDS}
    prefix = error_report_key(uploader.tenant, uuid.UUID(done["id"])).rsplit("/", 1)[0] + "/"
    assert open_uploads(aws_client, done["s3Bucket"], prefix) == []
    assert parked(stack, aws_client) == dead_letters
