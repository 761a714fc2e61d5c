"""The import_jobs table is ImportJob's, column for field: a field added to one and not
the other, or a nullability that differs, fails here before any database sees it."""

from __future__ import annotations

import types
from typing import Any, get_args

import msgspec
from sqlalchemy import Table

from conveyor_common.imports.job import ImportJob
from conveyor_processor.imports.history import KEPT, ROW_ONLY
from conveyor_processor.imports.rows import ImportJobRow

TABLE: Table = ImportJobRow.__table__  # type: ignore[attr-defined]
FIELDS = {field.name: field.type for field in msgspec.structs.fields(ImportJob)}
# What the history does not keep of a job: its lease and retries, its progress, and
# whom its e-mail goes to. A new field goes here or into the table.
NOT_KEPT = frozenset(
    {
        "progress_percentage",
        "lease_owner",
        "lease_expires_at",
        "cancel_requested",
        "retrying_since",
        "last_error",
        "notify",
    }
)


def admits_none(annotation: Any) -> bool:
    return types.NoneType in get_args(annotation)


def test_every_field_is_kept_or_said_not_to_be() -> None:
    assert set(KEPT) | NOT_KEPT == set(FIELDS)
    assert not set(KEPT) & NOT_KEPT


def test_every_column_but_the_rows_own_holds_a_field() -> None:
    assert {column.name for column in TABLE.columns} == set(KEPT) | ROW_ONLY


def test_a_column_is_nullable_exactly_when_its_field_may_be_none() -> None:
    nullability = {name: TABLE.columns[name].nullable for name in KEPT}
    assert nullability == {name: admits_none(FIELDS[name]) for name in KEPT}
