"""PostgreSQL, read only, through one psycopg pool: readiness probes, counts and rows.

Blocking; the routes call it from worker threads. What to read is the features'
business: they hand it finished queries (conveyor_common.exports.query.Query).
"""

from __future__ import annotations

from typing import Any

from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from conveyor_common.exports.query import Query

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

    def fetch_all(self, query: Query) -> list[dict[str, Any]]:
        """Every row the query answers, by column name."""
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
            return cursor.execute(query.sql, query.params).fetchall()
