"""Listing exports from the processor's `export_jobs` catalogue: the query, pure.

Newest first, scoped to one tenant and, for non-admins, to the caller's own
exports. Values are bound parameters; only fixed SQL text is spliced in.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from conveyor_common.exports.model import ExportFormat
from conveyor_common.exports.query import Query
from conveyor_common.jobs import JobStatus

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# Deeper pages cost a long OFFSET scan and nobody reads them: narrow by status instead.
# Bounded, too, so that the OFFSET always fits PostgreSQL's bigint.
MAX_PAGE = 10_000

_LISTED_COLUMNS = (
    "export_id, requested_by, resource, format, status, title, estimated_row_count, "
    "actual_row_count, file_size_bytes, error, created_at, started_at, completed_at, expires_at"
)


class ExportListing(msgspec.Struct, frozen=True, kw_only=True):
    tenant_id: str
    # None lists every requester's exports (admins); otherwise only this one's.
    requested_by: str | None
    status: JobStatus | None = None
    page: int = 1
    limit: int = DEFAULT_PAGE_SIZE

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


class CatalogueEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One `export_jobs` row, as far as callers see it."""

    export_id: uuid.UUID
    requested_by: str
    resource: str
    format: ExportFormat
    status: JobStatus
    title: str | None
    estimated_row_count: int
    actual_row_count: int | None
    file_size_bytes: int | None
    error: str | None
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    expires_at: datetime


class CataloguePage(msgspec.Struct, frozen=True, kw_only=True):
    entries: list[CatalogueEntry]
    total: int


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
        f"SELECT {_LISTED_COLUMNS} FROM export_jobs WHERE {where} "
        "ORDER BY created_at DESC, export_id DESC LIMIT %(limit)s OFFSET %(offset)s",
        {**params, "limit": listing.limit, "offset": listing.offset},
    )
    return total, page
