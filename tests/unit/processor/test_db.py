"""The database URL handed to SQLAlchemy always names the psycopg 3 driver."""

from __future__ import annotations

import pytest

from conveyor_processor.db import sqlalchemy_url


@pytest.mark.parametrize(
    ("database_url", "expected"),
    [
        ("postgresql://u:p@db:5432/conveyor", "postgresql+psycopg://u:p@db:5432/conveyor"),
        ("postgres://u@db/conveyor", "postgresql+psycopg://u@db/conveyor"),
        ("postgresql+psycopg://u@db/conveyor", "postgresql+psycopg://u@db/conveyor"),
    ],
)
def test_libpq_urls_are_spelled_for_psycopg_3(database_url: str, expected: str) -> None:
    # given a URL as DATABASE_URL holds it; when converted; then the driver is psycopg 3
    assert sqlalchemy_url(database_url) == expected


@pytest.mark.parametrize(
    "database_url", ["mysql://u@db/conveyor", "postgresql+psycopg2://u@db/x", "db:5432"]
)
def test_other_urls_are_refused(database_url: str) -> None:
    # given a URL of another database or driver; when converted; then it is refused
    with pytest.raises(ValueError, match="postgresql://"):
        sqlalchemy_url(database_url)
