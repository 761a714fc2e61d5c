"""The import_jobs history in PostgreSQL: one row per uploaded file, upserted on each change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Table, func
from sqlalchemy.dialects.postgresql import insert as pg_insert

from conveyor_common.imports.job import ImportJob
from conveyor_common.jobs import JobStatus
from conveyor_processor.imports.rows import ImportJobRow

_IMPORT_JOBS: Table = ImportJobRow.__table__  # type: ignore[attr-defined]
_TERMINAL = [status.value for status in JobStatus if status.is_terminal]
# The history's own column: when its row last changed.
ROW_ONLY = frozenset({"updated_at"})
# Every other column holds the ImportJob field of its name (a unit test holds them to it).
KEPT = tuple(column.name for column in _IMPORT_JOBS.columns if column.name not in ROW_ONLY)


class SqlImportHistory:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def upsert(self, job: ImportJob) -> None:
        """Insert or update the job's row. A finished row is never moved back, so a late
        or repeated write cannot undo an outcome."""
        values = _values(job)
        statement = pg_insert(_IMPORT_JOBS).values(values)
        changes = {name: statement.excluded[name] for name in values if name != "file_id"}
        statement = statement.on_conflict_do_update(
            index_elements=[_IMPORT_JOBS.c.file_id],
            set_={**changes, "updated_at": func.now()},
            where=_IMPORT_JOBS.c.status.not_in(_TERMINAL),
        )
        with self._engine.begin() as connection:
            connection.execute(statement)


def _values(job: ImportJob) -> dict[str, Any]:
    values = {name: getattr(job, name) for name in KEPT}
    return values | {
        "file_type": job.file_type.value,
        "mode": job.mode.value,
        "status": job.status.value,
    }
