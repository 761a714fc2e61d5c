"""What any job's owner reads when it failed, and which failures are worth a retry."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from conveyor_aws.failures import is_transient
from conveyor_processor.jobs.failures import MAX_REASON_LENGTH, ReadableFailure, readable_reason


def _client_error(code: str, status: int) -> ClientError:
    response: dict[str, Any] = {
        "Error": {"Code": code, "Message": "m"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "UploadPart")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (psycopg.OperationalError("server closed the connection"), True),
        (EndpointConnectionError(endpoint_url="http://s3"), True),
        (_client_error("SlowDown", 503), True),
        (_client_error("InternalError", 500), True),
        (_client_error("AccessDenied", 403), False),
        (psycopg.errors.UndefinedColumn("column x does not exist"), False),
        (ValueError("bug"), False),
    ],
)
def test_which_errors_are_worth_retrying(error: Exception, transient: bool) -> None:
    assert is_transient(error) is transient


class QuotaExceeded(ReadableFailure):
    pass


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (
            psycopg.errors.UndefinedColumn('column "x" does not exist\nLINE 1: ...'),
            'the database refused the query: column "x" does not exist',
        ),
        (
            psycopg.OperationalError("connection refused"),
            "the database could not be reached: connection refused",
        ),
        (
            QuotaExceeded("the file is larger than allowed\ndetails"),
            "the file is larger than allowed",
        ),
        (KeyError("secret internals"), "the import failed unexpectedly (KeyError)"),
    ],
)
def test_failures_read_as_one_line_without_internals(error: Exception, reason: str) -> None:
    assert readable_reason(error, noun="import") == reason


def test_a_reason_is_kept_short() -> None:
    reason = readable_reason(QuotaExceeded("x" * 2 * MAX_REASON_LENGTH), noun="import")
    assert len(reason) == MAX_REASON_LENGTH
