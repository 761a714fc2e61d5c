"""The throwaway PostgreSQL keeps what it acknowledged when it is stopped as a crash
stops it: the fault tests count stored orders after such a stop, and a commit lost by
the test server would read as an order lost by the pipeline."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from conveyor_devstack.postgres import TempPostgres

pytestmark = pytest.mark.integration

# Enough commits that some land inside any WAL writer delay before the stop.
COMMITS = 200


def test_every_acknowledged_commit_survives_a_crash_stop(postgres: TempPostgres | None) -> None:
    if postgres is None:
        pytest.skip("the database is no local cluster of the tests (DATABASE_URL or a container)")
    table = f"crash_probe_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres.url, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {table} (n integer)")
        # given commits acknowledged one by one, the last just before the stop
        for n in range(COMMITS):
            conn.execute(f"INSERT INTO {table} VALUES (%s)", (n,))
    # when the server stops as a crash stops it, then starts again
    postgres.stop_server()
    postgres.start_server()
    # then every acknowledged commit is there
    with psycopg.connect(postgres.url, autocommit=True) as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
        conn.execute(f"DROP TABLE {table}")
    assert row == (COMMITS,)
