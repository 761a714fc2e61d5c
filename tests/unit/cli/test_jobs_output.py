"""How `conveyor jobs` and `conveyor files` word what the API answers."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from conveyor_cli.api import problem_line, retry_after
from conveyor_cli.files import outcome
from conveyor_cli.job_kinds import EXPORT, IMPORT, job_status
from conveyor_cli.jobs import page_line
from conveyor_common.jobs import JobStatus

FILE_ID = "5d0f6f55-8a43-4c1e-9d7e-2f0d4f3c9b11"
EXPORT_VIEW: dict[str, Any] = {
    "exportId": "e-1",
    "status": "COMPLETED",
    "progressPercentage": 100,
    "estimatedRowCount": 10,
    "actualRowCount": 10,
    "fileSizeBytes": 2048,
    "format": "csv",
    "resource": "orders",
    "title": None,
    "requestedBy": "ops",
    "error": None,
    "createdAt": "2026-12-02T07:00:00Z",
    "startedAt": None,
    "completedAt": None,
    "expiresAt": "2026-12-09T07:00:00Z",
    "cancelRequested": False,
    "downloadUrl": "https://s3.example/e-1.csv",
}


def import_view(**changes: Any) -> dict[str, Any]:
    return {
        "id": FILE_ID,
        "originalName": "orders.csv",
        "status": "COMPLETED",
        "mode": "import",
        "rowsTotal": 3,
        "rowsImported": 2,
        "rowsUnchanged": 0,
        "rowsRejected": 1,
        "errorMessage": None,
        "errorReportUrl": "https://s3.example/errors.csv",
        **changes,
    }


@pytest.mark.parametrize(
    ("name", "status"),
    [("queued", JobStatus.QUEUED), ("PENDING", JobStatus.QUEUED), ("Failed", JobStatus.FAILED)],
)
def test_either_vocabulary_names_a_status(name: str, status: JobStatus) -> None:
    assert job_status(name) is status


def test_each_kind_asks_for_a_status_in_its_own_words() -> None:
    assert EXPORT.status_name(JobStatus.QUEUED) == "QUEUED"
    assert IMPORT.status_name(JobStatus.QUEUED) == "PENDING"
    assert IMPORT.status_name(JobStatus.COMPLETED) == "COMPLETED"


def test_an_export_row_and_view_format_sizes_and_progress() -> None:
    assert EXPORT.row(EXPORT_VIEW) == [
        "e-1",
        "COMPLETED",
        "csv",
        10,
        "2.0 KiB",
        "2026-12-02T07:00:00Z",
    ]
    lines = dict(EXPORT.detail_lines({"kind": "export", **EXPORT_VIEW}))
    assert lines["progress"] == "100%"
    assert lines["size"] == "2.0 KiB"
    assert lines["download"] == "https://s3.example/e-1.csv"
    assert lines["error"] is None


def test_a_page_line_counts_pages() -> None:
    assert page_line(page=1, limit=20, total=0) == "page 1 of 1 (0 job(s) in all)"
    assert page_line(page=2, limit=20, total=41) == "page 2 of 3 (41 job(s) in all)"


def test_a_completed_import_gives_its_counts_and_the_report_link() -> None:
    assert outcome(import_view()).splitlines() == [
        f"import of orders.csv ({FILE_ID}): COMPLETED, "
        "3 row(s): 2 imported, 0 unchanged, 1 rejected",
        "error report: https://s3.example/errors.csv",
    ]


def test_a_validation_counts_valid_rows_and_a_clean_file_has_no_report() -> None:
    view = import_view(mode="validate", rowsImported=3, rowsRejected=0, errorReportUrl=None)

    assert outcome(view) == (
        f"validation of orders.csv ({FILE_ID}): COMPLETED, "
        "3 row(s): 3 valid, 0 unchanged, 0 rejected"
    )


def test_a_failed_import_says_why() -> None:
    view = import_view(status="FAILED", errorMessage="unknown header column 'x'")

    assert outcome(view) == f"import of orders.csv ({FILE_ID}): FAILED: unknown header column 'x'"


def test_a_file_not_followed_points_to_jobs_show() -> None:
    accepted = {"fileId": FILE_ID, "status": "PENDING", "links": {}}

    assert outcome(accepted) == (
        f"file {FILE_ID}: PENDING; `conveyor jobs show {FILE_ID}` follows it"
    )


def test_a_problem_becomes_one_line_with_its_field_errors() -> None:
    problem = {
        "type": "about:blank",
        "title": "Unprocessable Entity",
        "status": 422,
        "detail": "the file request is not valid",
        "correlationId": "c",
        "errors": [{"field": "sizeBytes", "message": "must be at most 10"}],
    }
    response = httpx.Response(422, json=problem)

    assert problem_line(response) == (
        "422 Unprocessable Entity: the file request is not valid (sizeBytes: must be at most 10)"
    )


def test_an_answer_that_is_no_problem_shows_its_status_and_body() -> None:
    response = httpx.Response(502, text="<html>bad gateway</html>")

    assert problem_line(response) == "502 Bad Gateway: <html>bad gateway</html>"


@pytest.mark.parametrize(
    ("status", "headers", "wait"),
    [
        (503, {"Retry-After": "2"}, 2.0),
        (503, {"Retry-After": "600"}, 10.0),
        (503, {}, None),
        (503, {"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}, None),
        (500, {"Retry-After": "2"}, None),
    ],
)
def test_only_a_503_with_retry_after_in_seconds_is_sent_again(
    status: int, headers: dict[str, str], wait: float | None
) -> None:
    assert retry_after(httpx.Response(status, headers=headers)) == wait
