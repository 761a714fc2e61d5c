"""Idempotency records in the state table: pk=IDEMPOTENCY#{tenant}#{caller}#{key},
sk per scope.

A key belongs to one caller (the token's subject) of one tenant: two users who
happen to pick the same key never get each other's answers. Each feature keeps
its keys apart under a scope of its own (orders sk=ORDERS, exports sk=EXPORTS),
naming the id of what it created in its own attribute (order_id, export_id).
Tenant and caller are written with "%" and "#" percent-encoded, so each "#" after
the prefix ends a part: tenant "T" with key "x#y" and tenant "T#x" with key "y"
are two records.

Awaited: requests are accepted on the API's event loop. A conditional write or a read
runs in a handler thread (boto3 blocks); a plain put joins the state store's batches.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any, NamedTuple

import msgspec

from conveyor_aws.state_store import ItemStore
from conveyor_producer.acceptance.idempotency import IdempotencyRecord, Status, is_expired

SUBJECT_FIELD = "subject_id"


class Scope(msgspec.Struct, frozen=True, kw_only=True):
    """One feature's share of the idempotency records."""

    sort_key: str
    # The attribute naming what the first request created.
    id_attribute: str


class KeyOwner(NamedTuple):
    """Whose idempotency keys these are."""

    tenant_id: str
    caller: str


def record_key(owner: KeyOwner, key: str) -> str:
    """One partition key per (tenant, caller, key): no two of them share one."""
    return f"IDEMPOTENCY#{_escaped(owner.tenant_id)}#{_escaped(owner.caller)}#{key}"


def _escaped(part: str) -> str:
    return part.replace("%", "%25").replace("#", "%23")


class IdempotencyStore:
    def __init__(self, store: ItemStore, *, scope: Scope) -> None:
        self._store = store
        self._scope = scope

    async def find(self, owner: KeyOwner, key: str, *, now: datetime) -> IdempotencyRecord | None:
        """The live record holding `key`, if any (an expired one is as good as gone)."""
        pk, sk = record_key(owner, key), self._scope.sort_key
        item = await asyncio.to_thread(self._store.get, pk, sk)
        if item is None:
            return None
        existing = self._from_item(item)
        return None if is_expired(existing, now=now) else existing

    async def claim(
        self, owner: KeyOwner, key: str, record: IdempotencyRecord, *, now: datetime
    ) -> IdempotencyRecord | None:
        """Store `record` unless a live record holds the key; returns that record, if any.
        One round trip, whether the key is free or held."""
        pk, sk = record_key(owner, key), self._scope.sort_key
        attributes = self._to_item(record)
        item = await asyncio.to_thread(self._store.create_or_get, pk, sk, attributes)
        if item is None:
            return None
        existing = self._from_item(item)
        if is_expired(existing, now=now):
            # Expired, not yet deleted: whoever wrote it is gone, so this attempt takes over.
            await self._store.put_async(pk, sk, attributes)
            return None
        return existing

    async def mark_published(self, owner: KeyOwner, key: str, record: IdempotencyRecord) -> None:
        """`record`, the key's, again with its event published. A whole put, not an update:
        puts from concurrent requests go out together in one batch call."""
        published = msgspec.structs.replace(record, status=Status.PUBLISHED)
        attributes = self._to_item(published)
        await self._store.put_async(record_key(owner, key), self._scope.sort_key, attributes)

    def _to_item(self, record: IdempotencyRecord) -> dict[str, Any]:
        attributes: dict[str, Any] = msgspec.to_builtins(record)
        attributes[self._scope.id_attribute] = attributes.pop(SUBJECT_FIELD)
        return attributes

    def _from_item(self, item: dict[str, Any]) -> IdempotencyRecord:
        fields = dict(item)
        fields[SUBJECT_FIELD] = fields.pop(self._scope.id_attribute, None)
        return msgspec.convert(fields, IdempotencyRecord)
