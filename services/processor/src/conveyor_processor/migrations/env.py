"""Alembic environment: the URL comes from the caller, never from an ini file.

`conveyor_processor.migrate` passes it as `config.attributes["database_url"]`, and the
connection to migrate on, already holding the migration lock, as
`config.attributes["connection"]`. The alembic command line falls back to DATABASE_URL
and takes the same lock itself.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection

from conveyor_processor.db import sqlalchemy_url
from conveyor_processor.migrate import MIGRATION_LOCK_WAIT_SECONDS, locked_connection
from conveyor_processor.tables import METADATA

config = context.config
target_metadata = METADATA


def _database_url() -> str:
    url = config.attributes.get("database_url") or os.environ.get("DATABASE_URL")
    if not url:
        raise RuntimeError("no database URL: pass database_url or set DATABASE_URL")
    return str(url)


def run_offline() -> None:
    context.configure(
        url=sqlalchemy_url(_database_url()),
        target_metadata=target_metadata,
        literal_binds=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate_on(connection)
        return
    # No lock-holding connection given: alembic's command line. It takes the lock too.
    database_url = _database_url()
    with locked_connection(database_url, wait_seconds=MIGRATION_LOCK_WAIT_SECONDS) as own:
        _migrate_on(own)


def _migrate_on(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
