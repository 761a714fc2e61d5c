"""The order's DynamoDB items of an import, written with BatchWriteItem by a small pool of
threads while the import goes on: the shape is conveyor_aws.order_items' own
(`OrderItems.record_persisted` over `_CollectedPuts`).

The emulator (and DynamoDB) answer a batch of 25 puts in tens of milliseconds; sent one
after the other inside each PostgreSQL transaction they took most of an import's time.
Here they are sent after the batch's commit, a few at once, and the import waits for
all of them (`drain`) before it ends: a failed write still fails the attempt, and the
resumed attempt puts again the orders it finds stored by the same import.

Outside the transaction, the puts no longer follow the row lock: two imports changing
the same order at the same moment may leave the earlier version's item last (plain puts,
as BatchWriteItem has no conditions), until the order is written again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from conveyor_aws import clients
from conveyor_aws.order_items import OrderItems
from conveyor_aws.state_store import Item, to_wire
from conveyor_common.log import get_logger
from conveyor_common.orders import Order

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

logger = get_logger(__name__)

# DynamoDB's limit of one BatchWriteItem request.
_BATCH_ITEMS = 25
_MAX_ROUNDS = 8
_THROTTLED = "ProvisionedThroughputExceededException"
# Requests sent at once; as many more may wait their turn, so memory stays bounded.
IN_FLIGHT = 4


class ReadModelWrites:
    """The read-model items of committed orders, sent in the background; `drain` waits
    for every one and raises the first failure. Use it from one thread, as a context
    manager (its exit drains, then stops the threads)."""

    def __init__(
        self, table: str, *, client: DynamoDBClient | None = None, in_flight: int = IN_FLIGHT
    ) -> None:
        self._table = table
        # Parameters built here from OrderRecord are well formed: skip botocore's check.
        self._client = client or clients.dynamodb_unvalidated()
        self._pool = ThreadPoolExecutor(max_workers=in_flight, thread_name_prefix="read-model")
        self._slots = threading.BoundedSemaphore(2 * in_flight)
        self._pending: set[Future[None]] = set()

    def __enter__(self) -> ReadModelWrites:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        try:
            if exc_type is None:
                self.drain()
            else:
                self._settle()
        finally:
            self._pool.shutdown(wait=True)

    def put(self, orders: Sequence[Order], *, at: datetime) -> None:
        """Queue each order's PERSISTED item; blocks while the queue is full, and raises
        the failure of any earlier write."""
        puts = _CollectedPuts()
        items = OrderItems(puts)
        for order in orders:
            items.record_persisted(order, at=at)
        for chunk in puts.chunks(_BATCH_ITEMS):
            self._raise_failed()
            self._slots.acquire()
            future = self._pool.submit(self._write, chunk)
            future.add_done_callback(lambda _: self._slots.release())
            self._pending.add(future)

    def drain(self) -> None:
        """Wait for every queued write; raise the first that failed."""
        wait(self._pending)
        self._raise_failed()

    def _settle(self) -> None:
        """Wait for the queued writes while the import fails for another reason, which
        is what the caller sees; a resumed attempt puts these orders again."""
        wait(self._pending)
        failed = [future for future in self._pending if future.exception() is not None]
        self._pending.clear()
        if failed:
            logger.warning("read-model writes failed too", failed=len(failed))

    def _raise_failed(self) -> None:
        done = {future for future in self._pending if future.done()}
        self._pending -= done
        for future in done:
            future.result()

    def _write(self, attributes: list[dict[str, Any]]) -> None:
        table = self._table
        requests = [{"PutRequest": {"Item": to_wire(item)}} for item in attributes]
        for attempt in range(_MAX_ROUNDS):
            response = self._client.batch_write_item(RequestItems={table: requests})  # type: ignore[dict-item]
            requests = list(response.get("UnprocessedItems", {}).get(table, []))  # type: ignore[arg-type]
            if not requests:
                return
            time.sleep(0.05 * 2**attempt)
        # Throttling that outlasted the rounds: the job is retried, like any throttled call.
        message = f"{len(requests)} order items left unwritten"
        raise ClientError({"Error": {"Code": _THROTTLED, "Message": message}}, "BatchWriteItem")


class _CollectedPuts:
    """An ItemStore that only collects puts (serialised later, on the writing thread)."""

    def __init__(self) -> None:
        self._items: list[dict[str, Any]] = []

    def chunks(self, size: int) -> Iterator[list[dict[str, Any]]]:
        for start in range(0, len(self._items), size):
            yield self._items[start : start + size]

    def put(self, pk: str, sk: str, attributes: Mapping[str, Any]) -> None:
        self._items.append({**attributes, "pk": pk, "sk": sk})

    # The rest of ItemStore: never called by OrderItems.record_persisted.
    def get(self, pk: str, sk: str) -> Item | None:
        raise NotImplementedError

    def put_if_absent(self, pk: str, sk: str, attributes: Mapping[str, Any]) -> bool:
        raise NotImplementedError

    def put_unless(
        self, pk: str, sk: str, attributes: Mapping[str, Any], *, name: str, value: Any
    ) -> bool:
        raise NotImplementedError

    def update(self, pk: str, sk: str, attributes: Mapping[str, Any]) -> None:
        raise NotImplementedError

    def delete(self, pk: str, sk: str) -> None:
        raise NotImplementedError
