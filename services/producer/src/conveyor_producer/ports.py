"""What the producer needs from the outside world, as protocols the fakes also satisfy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from conveyor_common.envelope import Envelope


class Publisher(Protocol):
    def publish(self, envelope: Envelope) -> str:
        """Publish once; raises on any failure."""
        ...


class ItemStore(Protocol):
    """The single `pk`/`sk` state table (conveyor_aws.state_store.StateStore)."""

    def get(self, pk: str, sk: str) -> dict[str, Any] | None: ...

    def put(self, pk: str, sk: str, attributes: Mapping[str, Any]) -> None: ...

    def put_if_absent(self, pk: str, sk: str, attributes: Mapping[str, Any]) -> bool: ...

    def update(self, pk: str, sk: str, attributes: Mapping[str, Any]) -> None: ...

    def delete(self, pk: str, sk: str) -> None: ...
