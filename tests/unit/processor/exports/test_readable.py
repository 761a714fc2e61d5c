"""Why an export failed, in one line its requester can act on."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from botocore.exceptions import ClientError

from conveyor_common.errors import FieldError, ValidationFailed
from conveyor_processor.exports.readable import readable_export_reason


def _client_error(code: str, status: int) -> ClientError:
    response: dict[str, Any] = {
        "Error": {"Code": code, "Message": "m"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "UploadPart")  # type: ignore[arg-type]


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
            _client_error("AccessDenied", 403),
            "the file could not be stored: An error occurred (AccessDenied) when calling "
            "the UploadPart operation: m",
        ),
        (
            ValidationFailed([FieldError("filters.x", "unknown filter")]),
            "the export request is no longer valid: filters.x: unknown filter",
        ),
        (KeyError("secret internals"), "the export failed unexpectedly (KeyError)"),
    ],
)
def test_failures_read_as_one_line_without_internals(error: Exception, reason: str) -> None:
    assert readable_export_reason(error) == reason
