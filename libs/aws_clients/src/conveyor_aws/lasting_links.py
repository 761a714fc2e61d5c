"""Lasting links' records in the state table (conveyor_common.links): the processor
adds one for each file it e-mails a link to; the API reads it when the link is followed."""

from __future__ import annotations

from datetime import datetime

from conveyor_aws.state_store import ItemStore
from conveyor_common.links import LastingLink, new_token

LINK_SK = "LINK"


def _pk(token: str) -> str:
    return f"LINK#{token}"


class LinkRecords:
    def __init__(self, store: ItemStore) -> None:
        self._store = store

    def add(self, link: LastingLink) -> str:
        """Record `link` under a new token; returns the token."""
        token = new_token()
        attributes = {
            "bucket": link.bucket,
            "key": link.key,
            "expires_at": link.expires_at.isoformat(),
            # DynamoDB removes the record some time after it lapses.
            "ttl": int(link.expires_at.timestamp()),
        }
        self._store.put(_pk(token), LINK_SK, attributes)
        return token

    def get(self, token: str) -> LastingLink | None:
        item = self._store.get(_pk(token), LINK_SK)
        if item is None:
            return None
        return LastingLink(
            bucket=item["bucket"],
            key=item["key"],
            expires_at=datetime.fromisoformat(item["expires_at"]),
        )
