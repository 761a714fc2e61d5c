"""Listing exports from the processor's `export_jobs` table: the query, and its reader.

Newest first, scoped to one tenant and, for non-admins, to the caller's own
exports. Values are bound parameters; only fixed SQL text is spliced in. Rows are
read straight into ExportJob: the columns are named from its fields.
"""

from __future__ import annotations

from typing import Any

import msgspec

from conveyor_common.exports.job import ExportJob
from conveyor_common.exports.query import Query
from conveyor_producer.database import Database
from conveyor_producer.exports.ports import ExportListing, ListedPage

# ExportJob fields only the live state (DynamoDB) keeps: export_jobs has no column
# for them, so a listed job has ExportJob's defaults there.
LIVE_ONLY_FIELDS = frozenset(
    {
        "notify",
        "include_bom",
        "progress_percentage",
        "cancel_requested",
        "lease_owner",
        "lease_expires_at",
        "retrying_since",
        "last_error",
    }
)
# Every other ExportJob field is a column of export_jobs.
LISTED_FIELDS = tuple(name for name in ExportJob.__struct_fields__ if name not in LIVE_ONLY_FIELDS)
# ExportJob requires recipients, which export_jobs does not keep: a listed job names none.
_NOT_LISTED: dict[str, Any] = {"notify": ()}


def listing_queries(listing: ExportListing) -> tuple[Query, Query]:
    """The total count of matching exports, and the requested page of them."""
    clauses = ["tenant_id = %(tenant_id)s"]
    params: dict[str, object] = {"tenant_id": listing.tenant_id}
    if listing.requested_by is not None:
        clauses.append("requested_by = %(requested_by)s")
        params["requested_by"] = listing.requested_by
    if listing.status is not None:
        clauses.append("status = %(status)s")
        params["status"] = listing.status.value
    where = " AND ".join(clauses)
    total = Query(f"SELECT count(*) FROM export_jobs WHERE {where}", params)
    page = Query(
        f"SELECT {', '.join(LISTED_FIELDS)} FROM export_jobs WHERE {where} "
        "ORDER BY created_at DESC, export_id DESC LIMIT %(limit)s OFFSET %(offset)s",
        {**params, "limit": listing.limit, "offset": listing.offset},
    )
    return total, page


def listed_job(row: dict[str, Any]) -> ExportJob:
    """An export_jobs row as the job it records."""
    return msgspec.convert({**row, **_NOT_LISTED}, ExportJob, strict=False)


class SqlExportHistory:
    """ExportHistory over the producer's PostgreSQL pool."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def list_exports(self, listing: ExportListing) -> ListedPage:
        total_query, page_query = listing_queries(listing)
        total = self._database.count_rows(total_query)
        rows = self._database.fetch_all(page_query)
        return ListedPage(jobs=[listed_job(row) for row in rows], total=total)
