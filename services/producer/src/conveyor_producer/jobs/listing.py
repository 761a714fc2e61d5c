"""Listing jobs from the processor's history table of their kind: the query, and its reader.

Newest first, scoped to one tenant and, for non-admins, to the caller's own jobs.
Values are bound parameters; only fixed SQL text (the table's declaration) is spliced
in. Rows are read straight into the kind's record: the columns are named from its fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic

import msgspec

from conveyor_common.exports.query import Query
from conveyor_producer.database import Database
from conveyor_producer.jobs.ports import J, JobListing, ListedJobs

# Every record requires recipients, which no history table keeps: a listed job names none.
_NOT_LISTED: dict[str, Any] = {"notify": ()}


@dataclass(frozen=True)
class HistoryTable(Generic[J]):
    """A kind's history table: its name, its id column, and the record's fields a
    listing does not read (a listed job has the record's defaults there)."""

    name: str
    id_column: str
    record: type[J]
    unlisted: frozenset[str]
    listed: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        # Every other field of the record is a column of the table.
        fields = self.record.__struct_fields__
        object.__setattr__(self, "listed", tuple(n for n in fields if n not in self.unlisted))

    def listed_job(self, row: dict[str, Any]) -> J:
        """A row of the table as the job it records."""
        return msgspec.convert({**row, **_NOT_LISTED}, self.record, strict=False)


def listing_queries(table: HistoryTable[Any], listing: JobListing) -> tuple[Query, Query]:
    """The total count of matching jobs, and the requested page of them."""
    clauses = ["tenant_id = %(tenant_id)s"]
    params: dict[str, object] = {"tenant_id": listing.tenant_id}
    if listing.requested_by is not None:
        clauses.append("requested_by = %(requested_by)s")
        params["requested_by"] = listing.requested_by
    if listing.status is not None:
        clauses.append("status = %(status)s")
        params["status"] = listing.status.value
    where = " AND ".join(clauses)
    total = Query(f"SELECT count(*) FROM {table.name} WHERE {where}", params)
    page = Query(
        f"SELECT {', '.join(table.listed)} FROM {table.name} WHERE {where} "
        f"ORDER BY created_at DESC, {table.id_column} DESC LIMIT %(limit)s OFFSET %(offset)s",
        {**params, "limit": listing.limit, "offset": listing.offset},
    )
    return total, page


class SqlJobHistory(Generic[J]):
    """JobHistory of one kind over the producer's PostgreSQL pool."""

    def __init__(self, database: Database, table: HistoryTable[J]) -> None:
        self._database = database
        self._table = table

    def list_jobs(self, listing: JobListing) -> ListedJobs[J]:
        total_query, page_query = listing_queries(self._table, listing)
        total = self._database.count_rows(total_query)
        rows = self._database.fetch_all(page_query)
        return ListedJobs(jobs=[self._table.listed_job(row) for row in rows], total=total)
