"""Idempotency records in the state table: pk=IDEMPOTENCY#{tenant}#{key}, sk=ORDERS."""

from __future__ import annotations

from datetime import datetime

import msgspec

from conveyor_producer.idempotency import IdempotencyRecord, Status, is_expired
from conveyor_producer.ports import ItemStore

SORT_KEY = "ORDERS"


def record_key(tenant_id: str, key: str) -> str:
    return f"IDEMPOTENCY#{tenant_id}#{key}"


class IdempotencyStore:
    def __init__(self, store: ItemStore) -> None:
        self._store = store

    def claim(
        self, tenant_id: str, key: str, record: IdempotencyRecord, *, now: datetime
    ) -> IdempotencyRecord | None:
        """Store `record` unless the key is taken; returns the record that holds it, if any."""
        pk = record_key(tenant_id, key)
        attributes = msgspec.to_builtins(record)
        if self._store.put_if_absent(pk, SORT_KEY, attributes):
            return None
        item = self._store.get(pk, SORT_KEY)
        if item is None:
            # Deleted in between: whoever wrote it is gone, so this attempt takes over.
            self._store.put(pk, SORT_KEY, attributes)
            return None
        existing = msgspec.convert(item, IdempotencyRecord)
        if is_expired(existing, now=now):
            self._store.put(pk, SORT_KEY, attributes)
            return None
        return existing

    def mark_published(self, tenant_id: str, key: str) -> None:
        self._store.update(record_key(tenant_id, key), SORT_KEY, {"status": Status.PUBLISHED.value})
