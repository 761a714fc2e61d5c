"""Following a lasting link: the record it names, then a URL signed there and then."""

from __future__ import annotations

from dataclasses import dataclass

from conveyor_common.clock import Clock, utc_now
from conveyor_common.links import REDIRECT_URL_SECONDS, is_token
from conveyor_producer.links.errors import LinkExpired, LinkNotFound
from conveyor_producer.links.ports import FileSigner, LinkStore
from conveyor_producer.outages import STATE_STORE, outages_of


@dataclass(frozen=True, kw_only=True)
class LinkService:
    records: LinkStore
    signer: FileSigner
    # The buckets a link may lead into: the exports' and the uploads' (error reports).
    buckets: frozenset[str]
    clock: Clock = utc_now

    def follow(self, token: str) -> str:
        """The URL to redirect to; LinkNotFound or LinkExpired otherwise."""
        # Text that cannot be a token costs no read.
        link = None
        if is_token(token):
            with outages_of(STATE_STORE):
                link = self.records.get(token)
        if link is None or link.bucket not in self.buckets:
            raise LinkNotFound("no such link")
        if link.lapsed(self.clock()):
            raise LinkExpired(f"the link expired at {link.expires_at.isoformat()}")
        return self.signer.download_url(
            link.bucket, link.key, expires_in_seconds=REDIRECT_URL_SECONDS
        )
