"""Lasting links: what an e-mail links to, so that its link works for its whole life.

A presigned S3 URL stops working when the credentials that signed it expire, whatever
expiry it states, and a service's credentials on AWS are temporary (a task role's last
hours). An e-mail's link must work for days. So it names a link record instead: a random
token the processor stores with the file's location and the link's expiry. Following it
asks the API, which answers with a redirect to a URL it signs there and then, valid for
minutes (GET /links/{token}).

The token is the whole secret, as a presigned URL's signature is: 256 random bits,
URL-safe. A link record names a file in a bucket and when it lapses; DynamoDB removes
it some time after (its `ttl`), and a lapsed record found before then is refused.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

import msgspec

# Random bytes of a token: 43 URL-safe characters.
TOKEN_BYTES = 32
LINKS_PATH = "/links"
# How long the URL a followed link redirects to stays valid: long enough to start the
# download, short enough that a forwarded redirect is soon useless.
REDIRECT_URL_SECONDS = 300
# A token's shape, as the OpenAPI document states it.
TOKEN_PATTERN = "^[A-Za-z0-9_-]{43}$"  # noqa: S105 (a shape, not a secret)
_TOKEN = re.compile(TOKEN_PATTERN)


class LastingLink(msgspec.Struct, frozen=True, kw_only=True):
    """Where a link leads (a file in a bucket) and until when."""

    bucket: str
    key: str
    expires_at: datetime

    def lapsed(self, now: datetime) -> bool:
        return now >= self.expires_at


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def is_token(text: str) -> bool:
    """Whether `text` could be a token at all: anything else names no link."""
    return _TOKEN.fullmatch(text) is not None


def link_url(api_url: str, token: str) -> str:
    """The link an e-mail carries: the API's GET /links/{token}."""
    return f"{api_url.rstrip('/')}{LINKS_PATH}/{token}"
