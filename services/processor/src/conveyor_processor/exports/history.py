"""The export_jobs history in PostgreSQL: one row per export, upserted on each change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Table, func, null
from sqlalchemy.dialects.postgresql import insert as pg_insert

from conveyor_common.exports.job import ExportJob
from conveyor_common.jobs import JobStatus
from conveyor_processor.exports.rows import ExportJobRow

_EXPORT_JOBS: Table = ExportJobRow.__table__  # type: ignore[attr-defined]
_TERMINAL = [status.value for status in JobStatus if status.is_terminal]
# The history's own column: when its row last changed.
ROW_ONLY = frozenset({"updated_at"})
# Every other column holds the ExportJob field of its name (a unit test holds them to it).
KEPT = tuple(column.name for column in _EXPORT_JOBS.columns if column.name not in ROW_ONLY)


class SqlExportHistory:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def upsert(self, job: ExportJob) -> None:
        """Insert or update the job's row. A finished row is never moved back, so a late
        or repeated write cannot undo an outcome."""
        values = _values(job)
        statement = pg_insert(_EXPORT_JOBS).values(values)
        changes = {name: statement.excluded[name] for name in values if name != "export_id"}
        statement = statement.on_conflict_do_update(
            index_elements=[_EXPORT_JOBS.c.export_id],
            set_={**changes, "updated_at": func.now()},
            where=_EXPORT_JOBS.c.status.not_in(_TERMINAL),
        )
        with self._engine.begin() as connection:
            connection.execute(statement)


def _values(job: ExportJob) -> dict[str, Any]:
    values = {name: getattr(job, name) for name in KEPT}
    return values | {
        "format": job.format.value,
        "status": job.status.value,
        "filters": _jsonb_safe(job.filters),
        # SQL NULL, not the JSON null SQLAlchemy would store for None.
        "columns": list(job.columns) if job.columns is not None else null(),
    }


def _jsonb_safe(value: Any) -> Any:
    """jsonb cannot hold U+0000; the history keeps the rest of such a request."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_jsonb_safe(key): _jsonb_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonb_safe(item) for item in value]
    return value
