"""Listing uploads from the processor's `import_jobs` table: the query, and its reader.

Newest first, scoped to one tenant and, for non-admins, to the caller's own files.
Values are bound parameters; only fixed SQL text is spliced in. Rows are read
straight into ImportJob: the columns are named from its fields.
"""

from __future__ import annotations

from typing import Any

import msgspec

from conveyor_common.exports.query import Query
from conveyor_common.imports.job import ImportJob
from conveyor_producer.database import Database
from conveyor_producer.imports.ports import FileListing, ListedFiles

# ImportJob fields a listing does not read: only the live state (DynamoDB) keeps the
# workers' bookkeeping and the progress, and a listing needs neither the recipients
# nor the checksum; a listed job has ImportJob's defaults there.
UNLISTED_FIELDS = frozenset(
    {
        "notify",
        "sha256",
        "progress_percentage",
        "cancel_requested",
        "attempts",
        "lease_owner",
        "lease_expires_at",
        "retrying_since",
        "last_error",
    }
)
# Every other ImportJob field is a column of import_jobs.
LISTED_FIELDS = tuple(name for name in ImportJob.__struct_fields__ if name not in UNLISTED_FIELDS)
# ImportJob requires recipients, which a listing does not read: a listed job names none.
_NOT_LISTED: dict[str, Any] = {"notify": ()}


def listing_queries(listing: FileListing) -> tuple[Query, Query]:
    """The total count of matching uploads, and the requested page of them."""
    clauses = ["tenant_id = %(tenant_id)s"]
    params: dict[str, object] = {"tenant_id": listing.tenant_id}
    if listing.requested_by is not None:
        clauses.append("requested_by = %(requested_by)s")
        params["requested_by"] = listing.requested_by
    if listing.status is not None:
        clauses.append("status = %(status)s")
        params["status"] = listing.status.value
    where = " AND ".join(clauses)
    total = Query(f"SELECT count(*) FROM import_jobs WHERE {where}", params)
    page = Query(
        f"SELECT {', '.join(LISTED_FIELDS)} FROM import_jobs WHERE {where} "
        "ORDER BY created_at DESC, file_id DESC LIMIT %(limit)s OFFSET %(offset)s",
        {**params, "limit": listing.limit, "offset": listing.offset},
    )
    return total, page


def listed_job(row: dict[str, Any]) -> ImportJob:
    """An import_jobs row as the job it records."""
    return msgspec.convert({**row, **_NOT_LISTED}, ImportJob, strict=False)


class SqlImportHistory:
    """ImportHistory over the producer's PostgreSQL pool."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def list_imports(self, listing: FileListing) -> ListedFiles:
        total_query, page_query = listing_queries(listing)
        total = self._database.count_rows(total_query)
        rows = self._database.fetch_all(page_query)
        return ListedFiles(jobs=[listed_job(row) for row in rows], total=total)
