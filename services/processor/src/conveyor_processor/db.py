"""The SQLAlchemy engine for PostgreSQL, always through psycopg 3."""

from __future__ import annotations

from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from sqlalchemy import Engine, create_engine

from conveyor_aws.tracing import Instrumentor

_PSYCOPG_SCHEME = "postgresql+psycopg"
_LIBPQ_SCHEMES = ("postgresql", "postgres")


def sqlalchemy_url(database_url: str) -> str:
    """The libpq URL the settings hold, spelled for SQLAlchemy's psycopg 3 driver."""
    scheme, separator, rest = database_url.partition("://")
    if separator and scheme in _LIBPQ_SCHEMES:
        return f"{_PSYCOPG_SCHEME}://{rest}"
    if separator and scheme == _PSYCOPG_SCHEME:
        return database_url
    raise ValueError("DATABASE_URL must be a postgresql:// URL")


def build_engine(database_url: str) -> Engine:
    # pre_ping: a worker idles for long stretches and the server may drop idle connections.
    return create_engine(sqlalchemy_url(database_url), pool_pre_ping=True)


def database_instrumentors() -> list[Instrumentor]:
    """What tracing instruments in the processor: each statement as SQLAlchemy runs it, and as
    psycopg sends it (COPY and the job history's own connections included)."""
    return [SQLAlchemyInstrumentor(), PsycopgInstrumentor()]
