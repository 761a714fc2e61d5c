"""The export file's name: a safe slug of its title, or the resource and the time."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

# Long enough to stay recognisable, short enough for every file system and browser.
MAX_FILE_NAME_LENGTH = 80
_UNSAFE = re.compile(r"[^a-z0-9_]+")


def slug(text: str) -> str:
    """Lower-case ASCII letters, digits and underscores joined by single hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _UNSAFE.sub("-", ascii_text.lower()).strip("-")[:MAX_FILE_NAME_LENGTH].rstrip("-")


def file_name(*, title: str | None, resource: str, requested_at: datetime) -> str:
    """The name without its extension, e.g. `q2-orders` or `orders-20260601-120000`."""
    from_title = slug(title) if title else ""
    if from_title:
        return from_title
    return f"{slug(resource) or 'export'}-{requested_at:%Y%m%d-%H%M%S}"


def content_disposition(name_with_extension: str) -> str:
    # The name is a slug already, so it needs no quoting beyond the quotes.
    return f'attachment; filename="{name_with_extension}"'
