"""What accepting a request needs from the outside world."""

from __future__ import annotations

from typing import Protocol

from conveyor_common.envelope import Envelope


class Publisher(Protocol):
    async def publish_async(self, envelope: Envelope) -> str:
        """Publish once; raises on any failure."""
        ...
