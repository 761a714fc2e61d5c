"""GET /api/v1/exports: scoping, status filter, pagination and the SQL behind them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import TestClient
from tests.unit.producer.conftest import (
    EXPORTS,
    START,
    TENANT,
    FakeDatabase,
    bearer,
    export_job,
)

from conveyor_common.exports.job import ExportJob
from conveyor_common.exports.model import ExportFormat
from conveyor_common.jobs import JobStatus
from conveyor_producer.exports.listing import EXPORT_HISTORY
from conveyor_producer.jobs.listing import listing_queries
from conveyor_producer.jobs.ports import JobListing


def listed(status: JobStatus, *, minutes: int = 0) -> ExportJob:
    """A job as export_jobs lists it."""
    return export_job(
        format=ExportFormat.XLSX,
        status=status,
        estimated_row_count=10,
        actual_row_count=10 if status is JobStatus.COMPLETED else None,
        file_size_bytes=999 if status is JobStatus.COMPLETED else None,
        created_at=START + timedelta(minutes=minutes),
    )


def test_a_user_lists_only_their_own_exports_with_default_paging(
    client: TestClient[Any], database: FakeDatabase
) -> None:
    response = client.get(EXPORTS, headers=bearer(sub="alice"))

    assert response.status_code == 200
    assert database.listings == [
        JobListing(tenant_id=TENANT, requested_by="alice", status=None, page=1, limit=20)
    ]
    assert response.json() == {"items": [], "page": 1, "limit": 20, "total": 0}


def test_an_admin_lists_every_export_of_the_tenant(
    client: TestClient[Any], database: FakeDatabase
) -> None:
    client.get(EXPORTS, headers=bearer(sub="root", tenant="globex", roles=("admin",)))

    [listing] = database.listings
    assert (listing.tenant_id, listing.requested_by) == ("globex", None)


def test_status_page_and_limit_are_passed_on_and_echoed(
    client: TestClient[Any], database: FakeDatabase
) -> None:
    database.jobs = [listed(JobStatus.COMPLETED, minutes=5), listed(JobStatus.COMPLETED)]
    database.total = 7

    response = client.get(
        EXPORTS, params={"status": "COMPLETED", "page": 2, "limit": 2}, headers=bearer()
    )

    assert response.status_code == 200
    [listing] = database.listings
    assert (listing.status, listing.page, listing.limit, listing.offset) == (
        JobStatus.COMPLETED,
        2,
        2,
        2,
    )
    body = response.json()
    assert (body["page"], body["limit"], body["total"]) == (2, 2, 7)
    assert [item["exportId"] for item in body["items"]] == [
        str(job.export_id) for job in database.jobs
    ]


def test_items_have_the_read_shape_without_download_links(
    client: TestClient[Any], database: FakeDatabase
) -> None:
    database.jobs = [
        listed(JobStatus.COMPLETED),
        listed(JobStatus.PROCESSING),
        listed(JobStatus.QUEUED),
    ]

    items = client.get(EXPORTS, headers=bearer()).json()["items"]

    assert [item["progressPercentage"] for item in items] == [100, None, 0]
    completed = items[0]
    assert completed["format"] == "xlsx"
    assert (completed["actualRowCount"], completed["fileSizeBytes"]) == (10, 999)
    assert completed["expiresAt"] == "2024-06-16T09:30:00Z"
    assert all("downloadUrl" not in item for item in items)


@pytest.mark.parametrize(
    "params",
    [{"status": "DONE"}, {"page": 0}, {"limit": 0}, {"limit": 101}, {"page": "two"}],
)
def test_bad_listing_parameters_are_400_naming_the_parameter(
    client: TestClient[Any], database: FakeDatabase, params: dict[str, Any]
) -> None:
    response = client.get(EXPORTS, params=params, headers=bearer())

    assert response.status_code == 400
    assert [error["field"] for error in response.json()["errors"]] == list(params)
    assert database.listings == []


def test_the_listing_sql_scopes_filters_orders_and_pages() -> None:
    total, page = listing_queries(
        EXPORT_HISTORY,
        JobListing(
            tenant_id="acme", requested_by="alice", status=JobStatus.FAILED, page=3, limit=10
        ),
    )

    where = "WHERE tenant_id = %(tenant_id)s AND requested_by = %(requested_by)s"
    assert total.sql == f"SELECT count(*) FROM export_jobs {where} AND status = %(status)s"
    assert total.params == {"tenant_id": "acme", "requested_by": "alice", "status": "FAILED"}
    assert page.sql.endswith(
        "ORDER BY created_at DESC, export_id DESC LIMIT %(limit)s OFFSET %(offset)s"
    )
    assert page.params == {**total.params, "limit": 10, "offset": 20}


def test_an_admin_listing_has_no_requester_condition() -> None:
    total, page = listing_queries(EXPORT_HISTORY, JobListing(tenant_id="acme", requested_by=None))

    assert "requested_by" not in total.sql
    assert "requested_by =" not in page.sql
    assert total.params == {"tenant_id": "acme"}


def test_the_openapi_description_says_the_list_can_lag(client: TestClient[Any]) -> None:
    schema = client.get("/schema/openapi.json").json()

    description = schema["paths"][EXPORTS]["get"]["description"]
    assert "catalogue" in description
    assert "lag" in description
