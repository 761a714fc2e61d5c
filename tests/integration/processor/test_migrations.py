"""Schema migrations against real PostgreSQL: the schema they build, and migrators that
start together taking turns under the migration lock."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from psycopg import sql
from sqlalchemy import create_engine, make_url

from conveyor_processor.db import sqlalchemy_url
from conveyor_processor.migrate import (
    EXIT_LOCK_TIMEOUT,
    MIGRATION_LOCK_KEY,
    alembic_config,
    downgrade,
    lock_wait_message,
    upgrade,
)
from conveyor_processor.tables import METADATA

pytestmark = pytest.mark.integration

MIGRATOR = [sys.executable, "-m", "conveyor_processor.migrate"]
# A migrator starts in about a second here; a loaded machine may take several.
MIGRATOR_TIMEOUT_SECONDS = 60
POLL_INTERVAL_SECONDS = 0.1
# Short, so the test of a migrator giving up is quick.
SHORT_WAIT_SECONDS = 0.5
WAITING_LOG_EVENT = "waiting for another migrator"


# --- helpers ---------------------------------------------------------------------------------


def query(database_url: str, statement: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(database_url) as connection:
        return connection.execute(statement, params).fetchall()


def public_tables(database_url: str) -> set[str]:
    rows = query(database_url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {name for (name,) in rows}


def assert_schema_at_head(database_url: str) -> None:
    head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    assert query(database_url, "SELECT version_num FROM alembic_version") == [(head,)]
    check = create_engine(sqlalchemy_url(database_url))
    try:
        with check.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), METADATA) == []
    finally:
        check.dispose()


def start_migrator(database_url: str, **environment: str) -> subprocess.Popen[str]:
    env = {**os.environ, "DATABASE_URL": database_url, **environment}
    return subprocess.Popen(
        MIGRATOR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(migrator: subprocess.Popen[str]) -> tuple[int, str]:
    """The migrator's exit code and its log (stderr)."""
    _, log = migrator.communicate(timeout=MIGRATOR_TIMEOUT_SECONDS)
    return migrator.returncode, log


@pytest.fixture
def lock_holder(empty_database: str) -> Iterator[psycopg.Connection[Any]]:
    """A session of the test's own holding the migration lock until it closes."""
    with psycopg.connect(empty_database, autocommit=True) as connection:
        connection.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
        yield connection


def waiting_for_the_lock(holder: psycopg.Connection[Any]) -> int:
    """Sessions of the holder's database queued for the migration lock."""
    row = holder.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
        "AND classid = %s AND objid = %s AND objsubid = 1",
        (MIGRATION_LOCK_KEY >> 32, MIGRATION_LOCK_KEY & 0xFFFFFFFF),
    ).fetchone()
    assert row is not None
    count: int = row[0]
    return count


def wait_for_waiters(holder: psycopg.Connection[Any], count: int) -> None:
    deadline = time.monotonic() + MIGRATOR_TIMEOUT_SECONDS
    while waiting_for_the_lock(holder) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"{count} migrators never queued for the migration lock")
        time.sleep(POLL_INTERVAL_SECONDS)


def lock_is_free(database_url: str) -> bool:
    with psycopg.connect(database_url) as connection:
        row = connection.execute(
            "SELECT pg_try_advisory_lock(%s)", (MIGRATION_LOCK_KEY,)
        ).fetchone()
        return row is not None and bool(row[0])


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def empty_database(database_url: str) -> Iterator[str]:
    """A database of its own in the test cluster, so migrating it disturbs no other test."""
    name = f"conveyor_migrations_{uuid.uuid4().hex}"
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


# --- tests -----------------------------------------------------------------------------------


def test_migrations_build_the_models_schema_and_downgrade_to_nothing(empty_database: str) -> None:
    # given an empty database
    assert public_tables(empty_database) == set()

    # when migrated to the newest revision
    upgrade(empty_database)

    # then the schema is exactly what the models declare, at the head revision
    assert_schema_at_head(empty_database)

    # when downgraded to base
    downgrade(empty_database)

    # then only alembic's own, empty bookkeeping table is left
    assert public_tables(empty_database) == {"alembic_version"}
    assert query(empty_database, "SELECT version_num FROM alembic_version") == []


def test_two_migrators_started_together_migrate_once(
    empty_database: str, lock_holder: psycopg.Connection[Any]
) -> None:
    # given two migrators started at once on an empty database, both queued for the lock
    # (held by the test until both wait, so they really do contend for it)
    migrators = [start_migrator(empty_database) for _ in range(2)]
    wait_for_waiters(lock_holder, 2)

    # when the lock is let go
    lock_holder.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))
    outcomes = [finish(migrator) for migrator in migrators]

    # then both succeeded, the schema is at head with one version row, and the lock is free
    assert [code for code, _ in outcomes] == [0, 0], [log for _, log in outcomes]
    assert all(WAITING_LOG_EVENT in log for _, log in outcomes)
    assert_schema_at_head(empty_database)
    assert query(empty_database, "SELECT count(*) FROM alembic_version") == [(1,)]
    assert lock_is_free(empty_database)


def test_a_migrator_gives_up_when_the_lock_stays_taken_past_its_wait(
    empty_database: str, lock_holder: psycopg.Connection[Any]
) -> None:
    # given the lock held by another session; when a migrator with a short wait runs
    migrator = start_migrator(
        empty_database, MIGRATION_LOCK_WAIT_SECONDS=str(SHORT_WAIT_SECONDS), LOG_JSON="false"
    )
    code, log = finish(migrator)

    # then it stops with its own exit code and says why, having migrated nothing
    assert code == EXIT_LOCK_TIMEOUT, log
    assert lock_wait_message(SHORT_WAIT_SECONDS) in log
    assert public_tables(empty_database) == set()


def test_a_failed_migration_lets_go_of_the_lock(empty_database: str) -> None:
    # given an empty database; when asked for a revision that does not exist
    with pytest.raises(CommandError):
        upgrade(empty_database, revision="no-such-revision")

    # then the lock is free for the next migrator
    assert lock_is_free(empty_database)


# --- 0004: the stored item count --------------------------------------------------------------

BEFORE_ITEM_COUNT = "0003"


def insert_order_with_items(database_url: str, items: int) -> uuid.UUID:
    """An order as written before the item count was stored: no item_count column."""
    order_id = uuid.uuid4()
    with psycopg.connect(database_url) as connection:
        connection.execute(
            "INSERT INTO orders (order_id, tenant_id, customer_id, customer_email, currency,"
            " total_amount, created_at, event_id, correlation_id) VALUES (%s, 't', 'c',"
            " 'c@example.com', 'EUR', 1, now(), gen_random_uuid(), 'x')",
            (order_id,),
        )
        for line_no in range(1, items + 1):
            connection.execute(
                "INSERT INTO order_items (order_id, line_no, sku, quantity, unit_price,"
                " line_total) VALUES (%s, %s, 'SKU', 1, 1, 1)",
                (order_id, line_no),
            )
    return order_id


def order_columns(database_url: str) -> set[str]:
    rows = query(
        database_url,
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'orders'",
    )
    return {name for (name,) in rows}


def test_the_item_count_is_backfilled_and_taken_away_again(empty_database: str) -> None:
    # given orders of 1, 3 and 500 items stored before the count was
    upgrade(empty_database, revision=BEFORE_ITEM_COUNT)
    sizes = {insert_order_with_items(empty_database, items): items for items in (1, 3, 500)}

    # when migrated to the newest revision
    upgrade(empty_database)

    # then each order stores its own number of items
    stored = query(empty_database, "SELECT order_id, item_count FROM orders")
    assert dict(stored) == sizes

    # when downgraded to the revision before
    downgrade(empty_database, revision=BEFORE_ITEM_COUNT)

    # then the column and its check are gone, the orders and items stay, and an order
    # is written as before
    assert "item_count" not in order_columns(empty_database)
    assert query(empty_database, "SELECT count(*) FROM order_items") == [(504,)]
    insert_order_with_items(empty_database, 2)
    assert query(empty_database, "SELECT count(*) FROM orders") == [(4,)]


def test_the_item_count_migration_refuses_orders_without_items(empty_database: str) -> None:
    # given an order stored without any item (which the domain forbids)
    upgrade(empty_database, revision=BEFORE_ITEM_COUNT)
    insert_order_with_items(empty_database, 0)

    # when migrated, then the migration stops, saying why, and leaves the schema as it was
    with pytest.raises(RuntimeError, match="1 stored orders have no item"):
        upgrade(empty_database)
    assert query(empty_database, "SELECT version_num FROM alembic_version") == [
        (BEFORE_ITEM_COUNT,)
    ]
    assert "item_count" not in order_columns(empty_database)
