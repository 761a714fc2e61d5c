"""What following a link needs of the outside world."""

from __future__ import annotations

from typing import Protocol

from conveyor_common.clock import Clock
from conveyor_common.links import LastingLink


class LinkStore(Protocol):
    def get(self, token: str) -> LastingLink | None: ...


class FileSigner(Protocol):
    def download_url(self, bucket: str, key: str, *, expires_in_seconds: int) -> str:
        """A URL that downloads the file for that long, signed with the API's credentials."""
        ...


class LinkAdapters(Protocol):
    @property
    def link_records(self) -> LinkStore: ...

    @property
    def file_signer(self) -> FileSigner: ...

    @property
    def link_buckets(self) -> frozenset[str]: ...

    @property
    def clock(self) -> Clock: ...
