"""The import_jobs history: jobs.history's upsert, with ImportJob's fields as its
columns hold them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Table

from conveyor_common.imports.job import ImportJob
from conveyor_processor.imports.rows import ImportJobRow
from conveyor_processor.jobs.history import SqlJobHistory

IMPORT_JOBS: Table = ImportJobRow.__table__  # type: ignore[attr-defined]


def import_history(engine: Engine) -> SqlJobHistory[ImportJob]:
    return SqlJobHistory(engine, table=IMPORT_JOBS, id_column="file_id", encoded=_encoded)


def _encoded(job: ImportJob) -> dict[str, Any]:
    return {"file_type": job.file_type.value, "mode": job.mode.value}
