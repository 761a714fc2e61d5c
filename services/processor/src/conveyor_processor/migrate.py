"""Schema migrations, run from code: no alembic.ini is needed at runtime.

`python -m conveyor_processor.migrate` upgrades DATABASE_URL to the newest revision.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from conveyor_common.log import configure_logging, get_logger
from conveyor_common.settings import DatabaseConfig, load

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

logger = get_logger(__name__)


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Passed as an attribute, not an option, so a '%' in a password needs no escaping.
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, *, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, *, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)


def main() -> None:
    settings = load(DatabaseConfig)
    configure_logging("processor", settings)
    upgrade(settings.database_url)
    logger.info("database migrated", revision="head")


if __name__ == "__main__":
    main()
