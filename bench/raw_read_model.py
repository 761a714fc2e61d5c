"""The full-work baseline's second half: the import's read-model items, the same ones
(OrderRecord, PERSISTED, at ORDER#{id}/ORDER), pre-built as wire dicts and put with a
plain low-level DynamoDB client (no parameter validation) in BatchWriteItem calls of 25.

Only the sending is timed: the items are built chunk by chunk beforehand (reading the S3
object again, through the importer's own parser and mapping), so memory stays bounded.
The first chunk measures 1 thread against THREADS and the rest uses the faster.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
import msgspec
from botocore.config import Config

from conveyor_aws.order_items import ORDER_SK, OrderRecord, OrderState, order_pk
from conveyor_aws.state_store import to_wire
from conveyor_common.orders import Order

BATCH_ITEMS = 25
CHUNK_ORDERS = 10_000
# Each side of the probe: this many batches (2,000 items).
PROBE_BATCHES = 80
THREADS = 4

Batch = list[dict[str, Any]]


@dataclass
class RawWrites:
    items: int = 0
    seconds: float = 0.0
    threads: int = 0
    # Items/s of the probe, by number of threads.
    probe: dict[int, float] = field(default_factory=dict)


def valid_orders(bucket: str, key: str, *, tenant: str) -> Iterator[Order]:
    """The file's valid orders, as the importer maps them."""
    from conveyor_processor.imports.csv_orders import csv_orders
    from conveyor_processor.imports.files import S3ImportFiles
    from conveyor_processor.imports.mapping import to_order
    from conveyor_processor.imports.source import CountingReader, utf8_lines

    reader = CountingReader(S3ImportFiles().open_upload(bucket, key))
    now = datetime.now(UTC)
    for read in csv_orders(utf8_lines(reader.chunks())):
        order = to_order(read, tenant_id=tenant, uploaded_at=now)
        if isinstance(order, Order):
            yield order


def wire_batches(orders: Sequence[Order], *, at: datetime) -> list[Batch]:
    requests = [
        {
            "PutRequest": {
                "Item": to_wire(
                    {
                        **msgspec.to_builtins(
                            OrderRecord(
                                tenant_id=order.tenant_id,
                                status=OrderState.PERSISTED,
                                order=order,
                                persisted_at=at,
                            )
                        ),
                        "pk": order_pk(order.order_id),
                        "sk": ORDER_SK,
                    }
                )
            }
        }
        for order in orders
    ]
    return [requests[start : start + BATCH_ITEMS] for start in range(0, len(requests), BATCH_ITEMS)]


class Sender:
    def __init__(self, table: str) -> None:
        self._table = table
        config = Config(parameter_validation=False, max_pool_connections=THREADS)
        # Any: the wire dicts are built here, not as the stubs' TypedDicts.
        self._client: Any = boto3.client("dynamodb", config=config)

    def send(self, batch: Batch) -> None:
        requests = batch
        while requests:
            response = self._client.batch_write_item(RequestItems={self._table: requests})
            requests = list(response.get("UnprocessedItems", {}).get(self._table, []))

    def timed(self, batches: Sequence[Batch], *, threads: int) -> float:
        started = time.monotonic()
        if threads == 1:
            for batch in batches:
                self.send(batch)
        else:
            with ThreadPoolExecutor(max_workers=threads) as pool:
                list(pool.map(self.send, batches))
        return time.monotonic() - started


def _probe(sender: Sender, batches: list[Batch], result: RawWrites) -> list[Batch]:
    """Send the first batches with 1 thread, the next with THREADS; the rest of them."""
    for threads, start in ((1, 0), (THREADS, PROBE_BATCHES)):
        part = batches[start : start + PROBE_BATCHES]
        if not part:
            break
        seconds = sender.timed(part, threads=threads)
        result.seconds += seconds
        result.probe[threads] = sum(len(batch) for batch in part) / seconds
    result.threads = max(result.probe, key=lambda threads: result.probe[threads])
    return batches[2 * PROBE_BATCHES :]


def raw_read_model_writes(bucket: str, key: str, *, tenant: str, table: str) -> RawWrites:
    sender, result, now = Sender(table), RawWrites(), datetime.now(UTC)
    orders = valid_orders(bucket, key, tenant=tenant)
    while chunk := list(itertools.islice(orders, CHUNK_ORDERS)):
        batches = wire_batches(chunk, at=now)
        result.items += len(chunk)
        if not result.threads:
            batches = _probe(sender, batches, result)
        result.seconds += sender.timed(batches, threads=result.threads)
    return result
