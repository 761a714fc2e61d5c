"""Links to the files a job leaves, for its e-mail: lasting links (conveyor_common.links),
which work for their whole life, where a presigned URL would end with the credentials that
signed it, hours into a week."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from conveyor_aws.lasting_links import LinkRecords
from conveyor_common.links import LastingLink, link_url


@dataclass(frozen=True)
class EmailLinks:
    records: LinkRecords
    # The API's address as a mail reader reaches it (PUBLIC_API_URL).
    api_url: str

    def to(self, bucket: str, key: str, *, expires_at: datetime) -> str:
        token = self.records.add(LastingLink(bucket=bucket, key=key, expires_at=expires_at))
        return link_url(self.api_url, token)
