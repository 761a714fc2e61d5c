"""The import_jobs history in PostgreSQL: what the producer lists. Its columns are
ImportJob's (a unit test holds them to it); DynamoDB holds the live state and lease."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, Text, Uuid, desc
from sqlmodel import Field, SQLModel

from conveyor_processor.jobs.columns import attempts_column, moment_column, updated_at_column


def _count(name: str) -> Column[int]:
    return Column(name, BigInteger, nullable=True)


class ImportJobRow(SQLModel, table=True):
    """One import job as the history keeps it."""

    __tablename__ = "import_jobs"
    # The producer lists a tenant's files newest first, optionally one status's.
    __table_args__ = (
        Index("ix_import_jobs_tenant_created", "tenant_id", desc("created_at")),
        Index("ix_import_jobs_tenant_status_created", "tenant_id", "status", desc("created_at")),
    )

    file_id: uuid.UUID = Field(sa_column=Column("file_id", Uuid, primary_key=True))
    tenant_id: str = Field(sa_column=Column("tenant_id", Text, nullable=False))
    requested_by: str = Field(sa_column=Column("requested_by", Text, nullable=False))
    original_name: str = Field(sa_column=Column("original_name", Text, nullable=False))
    bucket: str = Field(sa_column=Column("bucket", Text, nullable=False))
    object_key: str = Field(sa_column=Column("object_key", Text, nullable=False))
    file_type: str = Field(sa_column=Column("file_type", Text, nullable=False))
    file_size_bytes: int = Field(sa_column=Column("file_size_bytes", BigInteger, nullable=False))
    mode: str = Field(sa_column=Column("mode", Text, nullable=False))
    sha256: str | None = Field(default=None, sa_column=Column("sha256", Text, nullable=True))
    status: str = Field(sa_column=Column("status", Text, nullable=False))
    error: str | None = Field(default=None, sa_column=Column("error", Text, nullable=True))
    rows_total: int | None = Field(default=None, sa_column=_count("rows_total"))
    rows_imported: int | None = Field(default=None, sa_column=_count("rows_imported"))
    rows_unchanged: int | None = Field(default=None, sa_column=_count("rows_unchanged"))
    rows_rejected: int | None = Field(default=None, sa_column=_count("rows_rejected"))
    error_report_key: str | None = Field(
        default=None, sa_column=Column("error_report_key", Text, nullable=True)
    )
    attempts: int = Field(default=0, sa_column=attempts_column())
    created_at: datetime = Field(sa_column=moment_column("created_at", nullable=False))
    started_at: datetime | None = Field(
        default=None, sa_column=moment_column("started_at", nullable=True)
    )
    completed_at: datetime | None = Field(
        default=None, sa_column=moment_column("completed_at", nullable=True)
    )
    expires_at: datetime = Field(sa_column=moment_column("expires_at", nullable=False))
    updated_at: datetime | None = Field(default=None, sa_column=updated_at_column())
