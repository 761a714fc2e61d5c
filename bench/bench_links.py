"""Lasting links for the benchmarks that drive the processor's file adapters without an
API: no run of theirs e-mails a link, so the links would name an API nobody serves."""

from __future__ import annotations

import os

from conveyor_aws.lasting_links import LinkRecords
from conveyor_aws.state_store import StateStore
from conveyor_processor.jobs.email_links import EmailLinks

UNSERVED_API_URL = "http://127.0.0.1:9"


def unserved_links() -> EmailLinks:
    return EmailLinks(
        LinkRecords(StateStore(table=os.environ["STATE_TABLE"])), api_url=UNSERVED_API_URL
    )
