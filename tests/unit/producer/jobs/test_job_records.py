"""One definition of each kind's job: its view and its listing derive from the kind's
record (ExportJob, ImportJob), so a new field there needs a decision in both."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec
import pytest
from tests.unit.producer.conftest import export_job, import_job

from conveyor_common.jobs import Job, JobStatus
from conveyor_producer.exports import views as export_views
from conveyor_producer.exports.listing import EXPORT_HISTORY
from conveyor_producer.imports import views as file_views
from conveyor_producer.imports.listing import IMPORT_HISTORY
from conveyor_producer.jobs.listing import HistoryTable


@dataclass(frozen=True)
class Kind:
    """A kind's record, how the API shows it and how its history lists it."""

    view: type[msgspec.Struct]
    copied: tuple[str, ...]
    reworked: tuple[str, ...]
    hidden: dict[str, str]
    history: HistoryTable[Any]
    # A completed job, and the row its history table keeps of it (enums as their text).
    completed: Callable[[], Job]
    as_text: dict[str, Any]

    @property
    def job_fields(self) -> dict[str, msgspec.structs.FieldInfo]:
        return {field.name: field for field in msgspec.structs.fields(self.history.record)}


EXPORTS = Kind(
    view=export_views.ExportView,
    copied=export_views.COPIED_JOB_FIELDS,
    reworked=export_views.REWORKED_JOB_FIELDS,
    hidden=export_views.HIDDEN_JOB_FIELDS,
    history=EXPORT_HISTORY,
    completed=lambda: export_job(
        status=JobStatus.COMPLETED, actual_row_count=3, object_key="k.csv"
    ),
    as_text={"format": "csv", "status": "COMPLETED", "columns": None},
)
IMPORTS = Kind(
    view=file_views.FileView,
    copied=file_views.COPIED_JOB_FIELDS,
    reworked=file_views.REWORKED_JOB_FIELDS,
    hidden=file_views.HIDDEN_JOB_FIELDS,
    history=IMPORT_HISTORY,
    completed=lambda: import_job(status=JobStatus.COMPLETED, rows_total=3, rows_rejected=1),
    as_text={},
)
KINDS = pytest.mark.parametrize("kind", [EXPORTS, IMPORTS], ids=["exports", "imports"])


@KINDS
def test_every_job_field_is_shown_or_deliberately_hidden(kind: Kind) -> None:
    copied, reworked, hidden = set(kind.copied), set(kind.reworked), set(kind.hidden)

    assert copied | reworked | hidden == set(kind.job_fields)
    assert not copied & reworked
    assert not copied & hidden
    assert not reworked & hidden


@KINDS
def test_a_copied_field_has_the_same_type_in_the_view(kind: Kind) -> None:
    view_fields = {field.name: field for field in msgspec.structs.fields(kind.view)}
    for name in kind.copied:
        assert view_fields[name].type == kind.job_fields[name].type, name


@KINDS
def test_a_listing_selects_every_job_field_its_history_keeps(kind: Kind) -> None:
    job_fields = kind.job_fields
    assert set(job_fields) >= kind.history.unlisted
    assert set(kind.history.listed) == set(job_fields) - kind.history.unlisted
    # what the view copies from a listed job is either listed or left at its default
    for name in set(kind.copied) & kind.history.unlisted:
        assert job_fields[name].default is not msgspec.NODEFAULT, name


@KINDS
def test_a_history_row_reads_as_the_job_it_records(kind: Kind) -> None:
    job = kind.completed()
    row = {name: getattr(job, name) for name in kind.history.listed} | kind.as_text

    listed = kind.history.listed_job(row)

    assert listed == msgspec.structs.replace(job, notify=())
