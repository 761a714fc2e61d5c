"""Pure export rules: file names, progress throttling, attempts and failure reasons."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from conveyor_aws.failures import is_transient
from conveyor_common.errors import FieldError, ValidationFailed
from conveyor_common.exports.job import ExportJob
from conveyor_common.exports.model import ExportFormat
from conveyor_common.jobs import JobStatus
from conveyor_processor.exports.failures import readable_reason
from conveyor_processor.exports.naming import MAX_FILE_NAME_LENGTH, content_disposition, file_name
from conveyor_processor.exports.policy import (
    MAX_ATTEMPTS,
    Unclaimed,
    busy_retry_after_seconds,
    interrupted_too_often,
    interruption_reason,
    outcome_event_id,
    retrying_too_long,
    why_unclaimed,
)
from conveyor_processor.exports.progress import ProgressThrottle, percentage

NOW = datetime(2026, 6, 1, 12, 30, 5, tzinfo=UTC)


def a_job(
    *,
    attempts: int = 1,
    status: JobStatus = JobStatus.PROCESSING,
    lease_expires_at: int | None = None,
    retrying_since: datetime | None = None,
) -> ExportJob:
    return ExportJob(
        export_id=uuid.uuid4(),
        tenant_id="acme",
        requested_by="alice",
        resource="orders",
        format=ExportFormat.CSV,
        filters={},
        notify=("alice@example.com",),
        status=status,
        estimated_row_count=100,
        created_at=NOW,
        expires_at=NOW + timedelta(days=30),
        attempts=attempts,
        lease_expires_at=lease_expires_at,
        retrying_since=retrying_since,
    )


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Q2 orders", "q2-orders"),
        ("  Ventes d'été / 2026!  ", "ventes-d-ete-2026"),
        ("../../etc/passwd", "etc-passwd"),
        ("order_items", "order_items"),
    ],
)
def test_a_title_becomes_a_safe_slug(title: str, expected: str) -> None:
    assert file_name(title=title, resource="orders", requested_at=NOW) == expected


@pytest.mark.parametrize("title", [None, "", "🙂 !!"])
def test_without_a_usable_title_the_resource_and_time_name_the_file(title: str | None) -> None:
    name = file_name(title=title, resource="order_items", requested_at=NOW)
    assert name == "order_items-20260601-123005"


def test_a_long_title_is_cut_without_a_trailing_hyphen() -> None:
    name = file_name(title="word " * 40, resource="orders", requested_at=NOW)
    assert len(name) <= MAX_FILE_NAME_LENGTH
    assert not name.endswith("-")


def test_the_download_is_named_as_an_attachment() -> None:
    assert content_disposition("q2.csv") == 'attachment; filename="q2.csv"'


def test_progress_beats_at_each_five_percent_and_every_two_seconds() -> None:
    # given 1,000 estimated rows, started at t=0
    throttle = ProgressThrottle(estimated_row_count=1_000, started_at_seconds=0.0)

    # when rows arrive quickly, then only new 5% steps beat
    assert [throttle.due(rows, now_seconds=0.1) for rows in (10, 49, 50, 60, 99, 100)] == [
        False,
        False,
        True,
        False,
        False,
        True,
    ]
    # when time passes without a new step, then the interval beats, once
    assert throttle.due(101, now_seconds=2.2)
    assert not throttle.due(102, now_seconds=2.3)


def test_percentage_stops_short_of_complete_and_survives_a_low_estimate() -> None:
    assert percentage(50, 200) == 25
    assert percentage(500, 200) == 99
    assert percentage(5, 0) == 0


def test_attempts_policy() -> None:
    assert not interrupted_too_often(a_job(attempts=MAX_ATTEMPTS))
    job = a_job(attempts=MAX_ATTEMPTS + 1)
    assert interrupted_too_often(job)
    assert interruption_reason(job) == f"the export was interrupted {MAX_ATTEMPTS} times"


def test_a_job_retries_transient_failures_for_the_window_only() -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    window = timedelta(hours=6)
    assert not retrying_too_long(a_job(), now=now, window=window)
    assert not retrying_too_long(
        a_job(retrying_since=now - window + timedelta(seconds=1)), now=now, window=window
    )
    assert retrying_too_long(a_job(retrying_since=now - window), now=now, window=window)


def test_why_a_claim_was_refused() -> None:
    assert why_unclaimed(None) is Unclaimed.MISSING
    assert why_unclaimed(a_job(status=JobStatus.CANCELLED)) is Unclaimed.FINISHED
    assert why_unclaimed(a_job(status=JobStatus.PROCESSING)) is Unclaimed.BUSY


def test_a_busy_job_is_retried_once_its_lease_can_have_expired() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    epoch = int(now.timestamp())
    assert busy_retry_after_seconds(a_job(lease_expires_at=epoch + 30), now=now) == 31
    assert busy_retry_after_seconds(a_job(lease_expires_at=epoch - 5), now=now) == 1
    assert busy_retry_after_seconds(a_job(lease_expires_at=None), now=now) == 1


def test_an_outcome_keeps_its_event_id_across_publications() -> None:
    export_id = uuid.uuid4()
    assert outcome_event_id(export_id, "completed") == outcome_event_id(export_id, "completed")
    assert outcome_event_id(export_id, "completed") != outcome_event_id(export_id, "failed")
    assert outcome_event_id(export_id, "completed") != outcome_event_id(uuid.uuid4(), "completed")


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
    assert readable_reason(error) == reason
