"""The export jobs catalogue.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    _create_export_jobs()
    _index_export_jobs()


def _create_export_jobs() -> None:
    op.create_table(
        "export_jobs",
        sa.Column("export_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.Text(), nullable=False),
        sa.Column("resource", sa.Text(), nullable=False),
        sa.Column("format", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("filters", postgresql.JSONB(), nullable=False),
        sa.Column("columns", postgresql.JSONB(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("estimated_row_count", sa.Integer(), nullable=False),
        sa.Column("actual_row_count", sa.Integer(), nullable=True),
        sa.Column("file_size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("object_key", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_at", _TIMESTAMP, nullable=False),
        sa.Column("started_at", _TIMESTAMP, nullable=True),
        sa.Column("completed_at", _TIMESTAMP, nullable=True),
        sa.Column("expires_at", _TIMESTAMP, nullable=False),
        sa.Column("updated_at", _TIMESTAMP, server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("export_id", name="export_jobs_pkey"),
    )


def _index_export_jobs() -> None:
    op.create_index(
        "ix_export_jobs_tenant_created",
        "export_jobs",
        ["tenant_id", sa.text("created_at DESC")],
    )
    op.create_index(
        "ix_export_jobs_tenant_requester_created",
        "export_jobs",
        ["tenant_id", "requested_by", sa.text("created_at DESC")],
    )
    op.create_index(
        "ix_export_jobs_tenant_status_created",
        "export_jobs",
        ["tenant_id", "status", sa.text("created_at DESC")],
    )


def downgrade() -> None:
    op.drop_index("ix_export_jobs_tenant_status_created", table_name="export_jobs")
    op.drop_index("ix_export_jobs_tenant_requester_created", table_name="export_jobs")
    op.drop_index("ix_export_jobs_tenant_created", table_name="export_jobs")
    op.drop_table("export_jobs")
