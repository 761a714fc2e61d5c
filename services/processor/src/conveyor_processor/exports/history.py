"""The export_jobs history: jobs.history's upsert, with ExportJob's fields as its
columns hold them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Table, null

from conveyor_common.exports.job import ExportJob
from conveyor_processor.exports.rows import ExportJobRow
from conveyor_processor.jobs.history import SqlJobHistory

EXPORT_JOBS: Table = ExportJobRow.__table__  # type: ignore[attr-defined]


def export_history(engine: Engine) -> SqlJobHistory[ExportJob]:
    return SqlJobHistory(engine, table=EXPORT_JOBS, id_column="export_id", encoded=_encoded)


def _encoded(job: ExportJob) -> dict[str, Any]:
    return {
        "format": job.format.value,
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
