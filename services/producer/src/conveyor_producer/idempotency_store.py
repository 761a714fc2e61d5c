"""Idempotency records in the state table: pk=IDEMPOTENCY#{tenant}#{key}, sk per scope.

Orders and exports keep their keys apart (sk=ORDERS, sk=EXPORTS), each naming
the id of what it created in its own attribute (order_id, export_id). The
tenant is written with "%" and "#" percent-encoded, so the first "#" after it
ends it: tenant "T" with key "x#y" and tenant "T#x" with key "y" are two records.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from conveyor_producer.idempotency import IdempotencyRecord, Status, is_expired
from conveyor_producer.ports import ItemStore

SUBJECT_FIELD = "subject_id"


class Scope(msgspec.Struct, frozen=True, kw_only=True):
    sort_key: str
    id_attribute: str


ORDERS = Scope(sort_key="ORDERS", id_attribute="order_id")
EXPORTS = Scope(sort_key="EXPORTS", id_attribute="export_id")
# The orders' sort key, as the table layout names it.
SORT_KEY = ORDERS.sort_key


def record_key(tenant_id: str, key: str) -> str:
    """One partition key per (tenant, key) pair: no two pairs share one."""
    tenant = tenant_id.replace("%", "%25").replace("#", "%23")
    return f"IDEMPOTENCY#{tenant}#{key}"


class IdempotencyStore:
    def __init__(self, store: ItemStore, *, scope: Scope = ORDERS) -> None:
        self._store = store
        self._scope = scope

    def find(self, tenant_id: str, key: str, *, now: datetime) -> IdempotencyRecord | None:
        """The live record holding `key`, if any (an expired one is as good as gone)."""
        item = self._store.get(record_key(tenant_id, key), self._scope.sort_key)
        if item is None:
            return None
        existing = self._from_item(item)
        return None if is_expired(existing, now=now) else existing

    def claim(
        self, tenant_id: str, key: str, record: IdempotencyRecord, *, now: datetime
    ) -> IdempotencyRecord | None:
        """Store `record` unless the key is taken; returns the record that holds it, if any."""
        pk, sk = record_key(tenant_id, key), self._scope.sort_key
        attributes = self._to_item(record)
        if self._store.put_if_absent(pk, sk, attributes):
            return None
        existing = self.find(tenant_id, key, now=now)
        if existing is None:
            # Deleted or expired in between: whoever wrote it is gone, so this attempt takes over.
            self._store.put(pk, sk, attributes)
        return existing

    def mark_published(self, tenant_id: str, key: str) -> None:
        self._store.update(
            record_key(tenant_id, key), self._scope.sort_key, {"status": Status.PUBLISHED.value}
        )

    def _to_item(self, record: IdempotencyRecord) -> dict[str, Any]:
        attributes: dict[str, Any] = msgspec.to_builtins(record)
        attributes[self._scope.id_attribute] = attributes.pop(SUBJECT_FIELD)
        return attributes

    def _from_item(self, item: dict[str, Any]) -> IdempotencyRecord:
        fields = dict(item)
        fields[SUBJECT_FIELD] = fields.pop(self._scope.id_attribute, None)
        return msgspec.convert(fields, IdempotencyRecord)
