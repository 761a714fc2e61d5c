"""Schema migrations, run from code: no alembic.ini is needed at runtime.

`python -m conveyor_processor.migrate` upgrades DATABASE_URL to the newest revision.

Every run holds a PostgreSQL advisory lock while it migrates, on the very connection
alembic migrates with, so migrators started together (each processor task runs one
before its worker) take turns: the first migrates, the others wait, then find the schema
at head and do nothing. A wait is bounded (MIGRATION_LOCK_WAIT_SECONDS) and ends in
MigrationLockTimeout, whose message names the lock's holder's row in pg_locks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from psycopg import errors
from pydantic import Field
from sqlalchemy import Connection, create_engine, pool, text
from sqlalchemy.exc import OperationalError

from conveyor_common.log import configure_logging, get_logger
from conveyor_common.settings import DatabaseConfig, load
from conveyor_processor.db import sqlalchemy_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# The key of the session-level advisory lock every migrator holds while it migrates: the
# ASCII bytes of "conveyor" read as one big-endian 64-bit integer (below 2**63, so a valid
# bigint). Never change it: migrators of two releases must contend for the same lock.
MIGRATION_LOCK_KEY = 0x636F6E7665796F72
# Seconds a migrator waits for another one to finish before it gives up. Far longer than
# any migration yet; a wait this long means a stuck migrator, which a person must look at.
MIGRATION_LOCK_WAIT_SECONDS = 600.0
# The exit code of a migrator that gave up waiting (2 is a configuration error).
EXIT_LOCK_TIMEOUT = 3

_TRY_LOCK = text("SELECT pg_try_advisory_lock(:key)")
_LOCK = text("SELECT pg_advisory_lock(:key)")
# is_local = true: the limit ends with the transaction that waits for the lock, so the
# migrations themselves run under the session's own lock_timeout.
_SET_LOCK_TIMEOUT = text("SELECT set_config('lock_timeout', :timeout, true)")

logger = get_logger(__name__)


class MigrateSettings(DatabaseConfig):
    """The migrator's own settings: the worker and the producer never wait for the lock."""

    migration_lock_wait_seconds: float = Field(default=MIGRATION_LOCK_WAIT_SECONDS, gt=0)


class MigrationLockTimeout(RuntimeError):
    """Another session held the migration lock for longer than the wait allowed."""


def lock_timeout_setting(wait_seconds: float) -> str:
    """PostgreSQL's lock_timeout for a wait, in whole milliseconds, rounded up: never 0,
    which would mean no limit at all."""
    return f"{max(1, math.ceil(wait_seconds * 1000))}ms"


def lock_wait_message(wait_seconds: float) -> str:
    # pg_locks shows a bigint advisory key split in two 32-bit halves, objsubid 1.
    classid, objid = MIGRATION_LOCK_KEY >> 32, MIGRATION_LOCK_KEY & 0xFFFFFFFF
    return (
        f"gave up after waiting {wait_seconds:g} s for the migration lock "
        f"(pg_advisory_lock({MIGRATION_LOCK_KEY})): another migrator still holds it; "
        "nothing was migrated. Its holder: SELECT pid FROM pg_locks WHERE locktype = "
        f"'advisory' AND classid = {classid} AND objid = {objid} AND objsubid = 1 AND granted"
    )


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Passed as an attribute, not an option, so a '%' in a password needs no escaping.
    config.attributes["database_url"] = database_url
    return config


@contextmanager
def locked_connection(database_url: str, *, wait_seconds: float) -> Iterator[Connection]:
    """A connection holding the migration lock, outside any transaction."""
    # One connection for one run: nothing to pool. Closing it ends the session, which
    # releases the lock whatever state a failed migration left the connection in.
    engine = create_engine(sqlalchemy_url(database_url), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            _take_lock(connection, wait_seconds=wait_seconds)
            yield connection
    finally:
        engine.dispose()


def _take_lock(connection: Connection, *, wait_seconds: float) -> None:
    # A session-level lock outlives the transaction that took it; committing that
    # transaction leaves alembic a connection it can begin its own on.
    with connection.begin():
        if connection.execute(_TRY_LOCK, {"key": MIGRATION_LOCK_KEY}).scalar_one():
            return
        logger.info("waiting for another migrator", wait_seconds=wait_seconds)
        connection.execute(_SET_LOCK_TIMEOUT, {"timeout": lock_timeout_setting(wait_seconds)})
        try:
            connection.execute(_LOCK, {"key": MIGRATION_LOCK_KEY})
        except OperationalError as exc:
            if isinstance(exc.orig, errors.LockNotAvailable):
                raise MigrationLockTimeout(lock_wait_message(wait_seconds)) from exc
            raise


def _migrate(
    database_url: str, step: Callable[[Config], None], *, lock_wait_seconds: float
) -> None:
    config = alembic_config(database_url)
    with locked_connection(database_url, wait_seconds=lock_wait_seconds) as connection:
        # migrations/env.py migrates on this connection, so under this lock.
        config.attributes["connection"] = connection
        step(config)


def upgrade(
    database_url: str,
    *,
    revision: str = "head",
    lock_wait_seconds: float = MIGRATION_LOCK_WAIT_SECONDS,
) -> None:
    _migrate(
        database_url,
        lambda config: command.upgrade(config, revision),
        lock_wait_seconds=lock_wait_seconds,
    )


def downgrade(
    database_url: str,
    *,
    revision: str = "base",
    lock_wait_seconds: float = MIGRATION_LOCK_WAIT_SECONDS,
) -> None:
    _migrate(
        database_url,
        lambda config: command.downgrade(config, revision),
        lock_wait_seconds=lock_wait_seconds,
    )


def main() -> None:
    settings = load(MigrateSettings)
    configure_logging("processor", settings)
    try:
        upgrade(settings.database_url, lock_wait_seconds=settings.migration_lock_wait_seconds)
    except MigrationLockTimeout as exc:
        logger.error("database not migrated", reason=str(exc))
        raise SystemExit(EXIT_LOCK_TIMEOUT) from None
    logger.info("database migrated", revision="head")


if __name__ == "__main__":
    main()
