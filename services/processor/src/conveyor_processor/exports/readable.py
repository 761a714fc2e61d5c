"""Why an export stopped, in words its requester can act on."""

from __future__ import annotations

from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

from conveyor_common.errors import ValidationFailed
from conveyor_processor.jobs.failures import first_line, readable_reason, shorten

NOUN = "export"


def readable_export_reason(exc: BaseException) -> str:
    """An export's own failures first (its request, its file); then what any job says."""
    if isinstance(exc, ValidationFailed):
        return shorten("the export request is no longer valid: " + first_line(exc))
    if isinstance(exc, ClientError | ConnectionError | HTTPClientError):
        return shorten("the file could not be stored: " + first_line(exc))
    return readable_reason(exc, noun=NOUN)
