"""The order's DynamoDB items of a batch, written with BatchWriteItem: the shape is
conveyor_aws.order_items' own (`OrderItems.record_persisted` over this store)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from conveyor_aws.state_store import Item, StateStore, to_wire

# DynamoDB's limit of one BatchWriteItem request.
_BATCH_ITEMS = 25
_MAX_ROUNDS = 8
_THROTTLED = "ProvisionedThroughputExceededException"


class BatchedPuts:
    """An ItemStore that only puts, collecting the items until `flush` writes them."""

    def __init__(self, store: StateStore) -> None:
        self._store = store
        self._items: list[dict[str, Any]] = []

    def put(self, pk: str, sk: str, attributes: Mapping[str, Any]) -> None:
        self._items.append(to_wire({**attributes, "pk": pk, "sk": sk}))

    def flush(self) -> None:
        items, self._items = self._items, []
        for start in range(0, len(items), _BATCH_ITEMS):
            self._write(
                [{"PutRequest": {"Item": item}} for item in items[start : start + _BATCH_ITEMS]]
            )

    def _write(self, requests: list[dict[str, Any]]) -> None:
        table = self._store.table
        for attempt in range(_MAX_ROUNDS):
            response = self._store.client.batch_write_item(RequestItems={table: requests})  # type: ignore[dict-item]
            requests = list(response.get("UnprocessedItems", {}).get(table, []))  # type: ignore[arg-type]
            if not requests:
                return
            time.sleep(0.05 * 2**attempt)
        # Throttling that outlasted the rounds: the job is retried, like any throttled call.
        message = f"{len(requests)} order items left unwritten"
        raise ClientError({"Error": {"Code": _THROTTLED, "Message": message}}, "BatchWriteItem")

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
