"""The columns every kind's history table has for the Job record's own fields, and the
row's own `updated_at`. Functions, since a Column belongs to one table only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime, Integer, func, text


def attempts_column() -> Column[int]:
    return Column("attempts", Integer, nullable=False, server_default=text("0"))


def moment_column(name: str, *, nullable: bool) -> Column[datetime]:
    return Column(name, DateTime(timezone=True), nullable=nullable)


def updated_at_column() -> Column[datetime]:
    """When the row last changed: set by the upsert (jobs.history), never by the record."""
    return Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now())
