"""Each kind's history table is its record's, column for field: a field added to one
and not the other, or a nullability that differs, fails here before any database sees it."""

from __future__ import annotations

import types
from typing import Any, get_args

import msgspec
import pytest
from sqlalchemy import Table

from conveyor_common.exports.job import ExportJob
from conveyor_common.imports.job import ImportJob
from conveyor_common.jobs import Job
from conveyor_processor.exports.history import EXPORT_JOBS
from conveyor_processor.imports.history import IMPORT_JOBS
from conveyor_processor.jobs.history import ROW_ONLY, kept_columns

# What a history does not keep of a job: its lease and retries, its progress, and what
# only its run and its e-mail need. A new field goes here or into the table.
WORKERS_ONLY = frozenset(
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
KINDS = pytest.mark.parametrize(
    ("record", "table", "not_kept"),
    [
        (ExportJob, EXPORT_JOBS, WORKERS_ONLY | {"include_bom"}),
        (ImportJob, IMPORT_JOBS, WORKERS_ONLY),
    ],
    ids=["export_jobs", "import_jobs"],
)


def fields(record: type[Job]) -> dict[str, Any]:
    return {field.name: field.type for field in msgspec.structs.fields(record)}


def admits_none(annotation: Any) -> bool:
    return types.NoneType in get_args(annotation)


@KINDS
def test_every_field_is_kept_or_said_not_to_be(
    record: type[Job], table: Table, not_kept: frozenset[str]
) -> None:
    kept = kept_columns(table)
    assert set(kept) | not_kept == set(fields(record))
    assert not set(kept) & not_kept


@KINDS
def test_every_column_but_the_rows_own_holds_a_field(
    record: type[Job], table: Table, not_kept: frozenset[str]
) -> None:
    assert {column.name for column in table.columns} == set(kept_columns(table)) | ROW_ONLY


@KINDS
def test_a_column_is_nullable_exactly_when_its_field_may_be_none(
    record: type[Job], table: Table, not_kept: frozenset[str]
) -> None:
    kept, types_of = kept_columns(table), fields(record)
    nullability = {name: table.columns[name].nullable for name in kept}
    assert nullability == {name: admits_none(types_of[name]) for name in kept}
