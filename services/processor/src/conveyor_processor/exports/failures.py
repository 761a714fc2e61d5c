"""Why an export stopped, in words its requester can act on.

Whether trying again could help is decided by conveyor_aws.failures, as for every handler.
"""

from __future__ import annotations

import psycopg
from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

from conveyor_common.errors import ValidationFailed
from conveyor_processor.exports.readable import ReadableFailure

MAX_REASON_LENGTH = 500


class ExportStopped(Exception):
    """The export must stop writing; not a failure of the export itself."""


class Cancelled(ExportStopped):
    pass


class LeaseLost(ExportStopped):
    """Another worker owns the job now; it records the outcome."""


def readable_reason(exc: BaseException) -> str:
    """One line a person can act on; never a traceback."""
    if isinstance(exc, ReadableFailure):
        reason = _first_line(exc)
    elif isinstance(exc, ValidationFailed):
        reason = "the export request is no longer valid: " + _first_line(exc)
    elif isinstance(exc, psycopg.OperationalError):
        reason = "the database could not be reached: " + _first_line(exc)
    elif isinstance(exc, psycopg.Error):
        reason = "the database refused the query: " + _first_line(exc)
    elif isinstance(exc, ClientError | ConnectionError | HTTPClientError):
        reason = "the file could not be stored: " + _first_line(exc)
    else:
        reason = f"the export failed unexpectedly ({type(exc).__name__})"
    return reason[:MAX_REASON_LENGTH]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
