"""The export_jobs history in PostgreSQL: what the producer lists. Its columns are
ExportJob's (a unit test holds them to it); DynamoDB holds the live state and lease."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Index, Integer, Text, Uuid, desc
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from conveyor_processor.jobs.columns import attempts_column, moment_column, updated_at_column


class ExportJobRow(SQLModel, table=True):
    """One export job as the history keeps it; DynamoDB holds the live state and lease."""

    __tablename__ = "export_jobs"
    # The producer lists a tenant's exports newest first, optionally one requester's
    # or one status's.
    __table_args__ = (
        Index("ix_export_jobs_tenant_created", "tenant_id", desc("created_at")),
        Index(
            "ix_export_jobs_tenant_requester_created",
            "tenant_id",
            "requested_by",
            desc("created_at"),
        ),
        Index("ix_export_jobs_tenant_status_created", "tenant_id", "status", desc("created_at")),
    )

    export_id: uuid.UUID = Field(sa_column=Column("export_id", Uuid, primary_key=True))
    tenant_id: str = Field(sa_column=Column("tenant_id", Text, nullable=False))
    requested_by: str = Field(sa_column=Column("requested_by", Text, nullable=False))
    resource: str = Field(sa_column=Column("resource", Text, nullable=False))
    format: str = Field(sa_column=Column("format", Text, nullable=False))
    status: str = Field(sa_column=Column("status", Text, nullable=False))
    filters: dict[str, Any] = Field(sa_column=Column("filters", JSONB, nullable=False))
    columns: list[str] | None = Field(
        default=None, sa_column=Column("columns", JSONB, nullable=True)
    )
    title: str | None = Field(default=None, sa_column=Column("title", Text, nullable=True))
    estimated_row_count: int = Field(
        sa_column=Column("estimated_row_count", Integer, nullable=False)
    )
    actual_row_count: int | None = Field(
        default=None, sa_column=Column("actual_row_count", Integer, nullable=True)
    )
    file_size_bytes: int | None = Field(
        default=None, sa_column=Column("file_size_bytes", BigInteger, nullable=True)
    )
    object_key: str | None = Field(
        default=None, sa_column=Column("object_key", Text, nullable=True)
    )
    error: str | None = Field(default=None, sa_column=Column("error", Text, nullable=True))
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
