"""PostgreSQL through one psycopg pool: readiness probes, export row counts and listings.

Blocking; the routes call it from worker threads.
"""

from __future__ import annotations

import msgspec
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from conveyor_common.exports.query import Query
from conveyor_producer.export_listing import (
    CatalogueEntry,
    CataloguePage,
    ExportListing,
    listing_queries,
)

CONNECT_TIMEOUT_SECONDS = 2
# A caller waits at most this long for a pooled connection before getting a 503.
POOL_TIMEOUT_SECONDS = 5
POOL_MAX_SIZE = 8
# Counting the rows of a large export must not hold a request (and a connection) for long.
STATEMENT_TIMEOUT_MILLISECONDS = 15_000


class Database:
    def __init__(self, database_url: str, *, max_size: int = POOL_MAX_SIZE) -> None:
        self.pool = ConnectionPool(
            database_url,
            min_size=1,
            max_size=max_size,
            timeout=POOL_TIMEOUT_SECONDS,
            kwargs={
                "connect_timeout": CONNECT_TIMEOUT_SECONDS,
                "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MILLISECONDS}",
                "autocommit": True,
            },
            # A pooled connection can be dead without the pool knowing (the server
            # restarted, a failover): checked when lent, it is replaced, not handed out.
            check=ConnectionPool.check_connection,
            open=False,
            name="producer",
        )

    def open(self) -> None:
        # Not waiting: a database that is down must make /ready fail, not start-up.
        self.pool.open(wait=False)

    def close(self) -> None:
        self.pool.close(timeout=CONNECT_TIMEOUT_SECONDS)

    def ping(self, *, timeout_seconds: float) -> None:
        with self.pool.connection(timeout=timeout_seconds) as conn:
            conn.execute("SELECT 1")

    def count_rows(self, query: Query) -> int:
        with self.pool.connection() as conn:
            row = conn.execute(query.sql, query.params).fetchone()
        assert row is not None  # count(*) always answers one row
        count: int = row[0]
        return count

    def list_exports(self, listing: ExportListing) -> CataloguePage:
        total_query, page_query = listing_queries(listing)
        with self.pool.connection() as conn:
            total_row = conn.execute(total_query.sql, total_query.params).fetchone()
            with conn.cursor(row_factory=dict_row) as cursor:
                rows = cursor.execute(page_query.sql, page_query.params).fetchall()
        assert total_row is not None
        return CataloguePage(
            entries=[msgspec.convert(row, CatalogueEntry, strict=False) for row in rows],
            total=total_row[0],
        )
