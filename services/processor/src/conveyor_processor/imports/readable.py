"""Why an import stopped, in words its uploader can act on."""

from __future__ import annotations

from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

from conveyor_processor.imports.file_order import FileUnreadable
from conveyor_processor.jobs.failures import (
    MAX_REASON_LENGTH,
    FailedPartway,
    first_line,
    readable_reason,
    shorten,
)

NOUN = "import"


def readable_import_reason(exc: BaseException) -> str:
    """An import's own failures first (its file); then what any job says."""
    if isinstance(exc, FailedPartway) and exc.__cause__ is not None:
        # What stayed done is kept whole: the cause is cut to make room for it.
        kept = f"; {exc}"
        return readable_import_reason(exc.__cause__)[: MAX_REASON_LENGTH - len(kept)] + kept
    if isinstance(exc, FileUnreadable):
        return shorten(first_line(exc))
    if isinstance(exc, ClientError | ConnectionError | HTTPClientError):
        return shorten("the file could not be read or its report stored: " + first_line(exc))
    return readable_reason(exc, noun=NOUN)
