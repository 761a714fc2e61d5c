"""The processor's e-mail links, followed as the API follows them (GET /links/{token}):
the record the link names, read from the state table, then a URL signed for its file."""

from __future__ import annotations

import httpx

from conveyor_aws.lasting_links import LinkRecords
from conveyor_aws.state_store import StateStore
from conveyor_common.links import LINKS_PATH
from conveyor_processor.jobs.email_links import EmailLinks
from conveyor_producer.links.signer import S3FileSigner

API_URL = "http://api.test"
SIGNED_SECONDS = 60


def email_links(table: str) -> EmailLinks:
    return EmailLinks(LinkRecords(StateStore(table=table)), api_url=API_URL)


def follow(url: str, *, table: str) -> bytes:
    """The file an e-mail's link leads to."""
    prefix = f"{API_URL}{LINKS_PATH}/"
    assert url.startswith(prefix), url
    link = LinkRecords(StateStore(table=table)).get(url.removeprefix(prefix))
    assert link is not None, url
    signed = S3FileSigner().download_url(link.bucket, link.key, expires_in_seconds=SIGNED_SECONDS)
    response = httpx.get(signed)
    response.raise_for_status()
    return response.content
