"""Alembic environment: the URL comes from the caller, never from an ini file.

`conveyor_processor.migrate` passes it as `config.attributes["database_url"]`;
the alembic command line falls back to DATABASE_URL.
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine, pool

from conveyor_processor.db import sqlalchemy_url
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
    # One connection for one run: nothing to pool.
    engine = create_engine(sqlalchemy_url(_database_url()), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection, target_metadata=target_metadata, compare_type=True
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
