"""Real parts for the tests: PostgreSQL and moto server, each in its own process.

Integration and end-to-end tests reach them only over their network endpoints.
DATABASE_URL, when set, is used instead of a throwaway cluster. With
CONVEYOR_TEST_CONTAINERS=1 both come from containers instead (conveyor_devstack.containers).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import psycopg
import pytest

from conveyor_aws import clients
from conveyor_aws.bootstrap import bootstrap
from conveyor_aws.resources import ResourceNames
from conveyor_devstack.containers import (
    DatabaseSource,
    PostgresInContainer,
    database_source,
    emulator,
)
from conveyor_devstack.moto_server import MotoServer
from conveyor_devstack.postgres import TempPostgres


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    with emulator(os.environ) as server:
        yield server


@pytest.fixture(scope="session")
def aws_env(moto_server: MotoServer) -> Iterator[dict[str, str]]:
    """The emulator's endpoint in this process's environment, resources created."""
    saved = dict(os.environ)
    os.environ.update(moto_server.env)
    clients.reset()
    env = {**moto_server.env, **bootstrap(ResourceNames())}
    os.environ.update(env)
    yield env
    os.environ.clear()
    os.environ.update(saved)
    clients.reset()


@pytest.fixture
def aws(aws_env: dict[str, str]) -> dict[str, str]:
    """Per test: the service queues start empty, so tests never see each other's messages."""
    sqs = clients.sqs()
    names = ResourceNames()
    for service in ("processor", "notifier"):
        for queue in (names.queue(service), names.dead_letter_queue(service)):
            url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
            sqs.purge_queue(QueueUrl=url)
    return aws_env


@pytest.fixture(scope="session")
def postgres() -> Iterator[TempPostgres | None]:
    """The throwaway local cluster, or None when the database is not one (DATABASE_URL
    names a server of the caller's, or the option takes a container): tests that stop
    the server then skip."""
    if database_source(os.environ) is not DatabaseSource.PROCESS:
        yield None
        return
    with TempPostgres() as server:
        yield server


@pytest.fixture(scope="session")
def database_url(postgres: TempPostgres | None) -> Iterator[str]:
    if postgres is not None:
        yield postgres.url
    elif database_source(os.environ) is DatabaseSource.CONTAINER:
        with PostgresInContainer() as container:
            yield container.url
    else:
        yield os.environ["DATABASE_URL"]


@pytest.fixture(scope="session")
def migrated_database(database_url: str) -> str:
    """The database at the newest migration."""
    from conveyor_processor.migrate import upgrade

    upgrade(database_url)
    return database_url


@pytest.fixture
def db(migrated_database: str) -> str:
    """Per test: the order and job tables start empty."""
    with psycopg.connect(migrated_database, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version'"
        ).fetchall()
        if tables:
            names = ", ".join(f'"{name}"' for (name,) in tables)
            conn.execute(f"TRUNCATE {names} CASCADE")
    return migrated_database
