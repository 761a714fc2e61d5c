"""The producer's PostgreSQL pool against a real server that restarts under it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conveyor_common.exports.query import Query
from conveyor_devstack.postgres import TempPostgres
from conveyor_producer.database import Database

pytestmark = pytest.mark.integration


@pytest.fixture
def server(postgres: TempPostgres | None) -> TempPostgres:
    if postgres is None:
        pytest.skip("the database is no local cluster of the tests (DATABASE_URL or a container)")
    return postgres


@pytest.fixture
def database(server: TempPostgres, migrated_database: str) -> Iterator[Database]:
    database = Database(migrated_database, max_size=2)
    database.open()
    yield database
    database.close()


def test_connections_a_restart_killed_are_replaced_not_lent(
    server: TempPostgres, database: Database
) -> None:
    # given pooled connections, used once
    one = Query(sql="SELECT 1", params={})
    assert database.count_rows(one) == 1

    # when the server restarts (a crash, a failover) behind the pool's back
    server.stop_server()
    server.start_server()

    # then the very next requests succeed: no caller gets a dead connection
    for _ in range(3):
        assert database.count_rows(one) == 1
