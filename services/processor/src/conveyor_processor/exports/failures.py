"""Why an export stopped, and whether trying again could help."""

from __future__ import annotations

import psycopg
from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

from conveyor_common.errors import ValidationFailed
from conveyor_processor.exports.readable import ReadableFailure

# AWS error codes that mean "slow down" or "try later", whatever the service.
_RETRYABLE_AWS_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "ProvisionedThroughputExceededException",
        "RequestThrottled",
        "SlowDown",
        "ServiceUnavailable",
        "InternalError",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
MAX_REASON_LENGTH = 500


class ExportStopped(Exception):
    """The export must stop writing; not a failure of the export itself."""


class Cancelled(ExportStopped):
    pass


class LeaseLost(ExportStopped):
    """Another worker owns the job now; it records the outcome."""


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, psycopg.OperationalError):
        return True
    if isinstance(exc, ConnectionError | HTTPClientError):
        return True
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return error.get("Code", "") in _RETRYABLE_AWS_CODES or status >= 500
    return False


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
