"""Presigned uploads' windows in the state table, beside their import job: the item
`FILE#{fileId}` / `UPLOAD_WINDOW`, with `ttl` so that DynamoDB removes it with the job.

A window ends once: `complete` and the first read past its closing time race through
conditional writes, each refusing the other's end, so an upload shown FAILED is never
imported and one being imported is never shown FAILED.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from conveyor_aws.job_store import partition_key
from conveyor_aws.state_store import ItemStore
from conveyor_common.imports.job import IMPORT_JOBS
from conveyor_producer.imports.upload_window import UploadWindow, WindowState

WINDOW_SK = "UPLOAD_WINDOW"
# The end that refuses each end: a completed window never expires, and the reverse.
_REFUSED_BY = {
    WindowState.COMPLETED: WindowState.EXPIRED,
    WindowState.EXPIRED: WindowState.COMPLETED,
}


class UploadWindows:
    def __init__(self, store: ItemStore) -> None:
        self._store = store

    def open(self, file_id: uuid.UUID, window: UploadWindow) -> None:
        self._store.put_if_absent(self._pk(file_id), WINDOW_SK, _to_item(window))

    def get(self, file_id: uuid.UUID) -> UploadWindow | None:
        item = self._store.get(self._pk(file_id), WINDOW_SK)
        return _from_item(item) if item is not None else None

    def end(self, file_id: uuid.UUID, window: UploadWindow, state: WindowState) -> bool:
        """Ends the window as `state` (again, if it has already); False when it has
        ended the other way."""
        refused = _REFUSED_BY[state]
        return self._store.put_unless(
            self._pk(file_id),
            WINDOW_SK,
            _to_item(window.ended(state)),
            name="state",
            value=refused.value,
        )

    @staticmethod
    def _pk(file_id: uuid.UUID) -> str:
        return partition_key(IMPORT_JOBS, file_id)


def _to_item(window: UploadWindow) -> dict[str, Any]:
    item: dict[str, Any] = msgspec.to_builtins(window)
    return item | {"ttl": int(window.kept_until.timestamp())}


def _from_item(item: dict[str, Any]) -> UploadWindow:
    fields = {key: value for key, value in item.items() if key not in ("pk", "sk", "ttl")}
    return msgspec.convert(fields, UploadWindow, strict=False)
