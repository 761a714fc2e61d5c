"""A kind of job: its result must fit its record, so finishing a job writes only fields
the record has, with their types, and never one the job's life sets."""

from __future__ import annotations

import uuid

import msgspec
import pytest

from conveyor_common.exports.job import EXPORT_JOBS, ExportJob, ExportResult
from conveyor_common.jobs import Job, JobKind, JobStatus, result_misfits


class Imported(Job, frozen=True, kw_only=True):
    import_id: uuid.UUID
    row_count: int | None = None


def _import_id(job: Imported) -> uuid.UUID:
    return job.import_id


def test_the_export_result_fits_the_export_job() -> None:
    assert result_misfits(ExportJob, ExportResult) == []
    assert (EXPORT_JOBS.record, EXPORT_JOBS.result) == (ExportJob, ExportResult)


def test_a_result_with_fields_the_record_lacks_or_types_it_does_not_have_is_refused() -> None:
    class Stray(msgspec.Struct):
        row_count: str
        file_name: str

    with pytest.raises(TypeError) as refused:
        JobKind(key_prefix="IMPORT", record=Imported, result=Stray, id_of=_import_id)
    assert "file_name is not a field of the record" in str(refused.value)
    assert "row_count is <class 'str'>" in str(refused.value)


def test_a_result_may_not_set_what_the_jobs_life_sets() -> None:
    class Sneaky(msgspec.Struct):
        status: JobStatus

    assert result_misfits(Imported, Sneaky) == ["status is set by the job's life"]


def test_a_result_may_fill_an_optional_field() -> None:
    class Rows(msgspec.Struct):
        row_count: int

    kind = JobKind(key_prefix="IMPORT", record=Imported, result=Rows, id_of=_import_id)
    assert kind.result is Rows
