"""The kinds of job the API serves, as the CLI shows them: where each lives, which
status names it speaks, and which of its fields a list or a detail view prints."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from conveyor_cli import output
from conveyor_common.jobs import JobStatus
from conveyor_producer.exports.views import EXPORTS_PATH
from conveyor_producer.imports.views import FILES_PATH, FileStatus

# Every status name either kind speaks: the job core's, and the files' PENDING (QUEUED).
STATUS_NAMES = tuple(dict.fromkeys(status.value for status in (*JobStatus, *FileStatus)))


def job_status(name: str) -> JobStatus:
    """The job core's status for a name of either vocabulary."""
    upper = name.upper()
    return FileStatus(upper).job_status if upper in FileStatus.__members__ else JobStatus(upper)


def _percent(value: Any) -> str:
    return f"{value}%"


@dataclass(frozen=True, kw_only=True)
class JobKind:
    name: str
    path: str
    id_field: str
    # The kind's own name for a job core status, as its routes take and answer it.
    status_name: Callable[[JobStatus], str]
    # (header, field) of a listing's table.
    columns: tuple[tuple[str, str], ...]
    # (label, field) of one job's view, in order.
    details: tuple[tuple[str, str], ...]
    formats: Mapping[str, Callable[[Any], str]] = field(default_factory=dict)

    def row(self, view: Mapping[str, Any]) -> list[Any]:
        return [self._shown(key, view.get(key)) for _, key in self.columns]

    def detail_lines(self, view: Mapping[str, Any]) -> list[tuple[str, Any]]:
        return [(label, self._shown(key, view.get(key))) for label, key in self.details]

    def _shown(self, key: str, value: Any) -> Any:
        format_value = self.formats.get(key)
        return value if format_value is None or value is None else format_value(value)


EXPORT = JobKind(
    name="export",
    path=EXPORTS_PATH,
    id_field="exportId",
    status_name=lambda status: status.value,
    columns=(
        ("ID", "exportId"),
        ("STATUS", "status"),
        ("FORMAT", "format"),
        ("ROWS", "actualRowCount"),
        ("SIZE", "fileSizeBytes"),
        ("CREATED", "createdAt"),
    ),
    details=(
        ("id", "exportId"),
        ("kind", "kind"),
        ("status", "status"),
        ("progress", "progressPercentage"),
        ("resource", "resource"),
        ("format", "format"),
        ("title", "title"),
        ("estimated rows", "estimatedRowCount"),
        ("rows", "actualRowCount"),
        ("size", "fileSizeBytes"),
        ("requested by", "requestedBy"),
        ("created", "createdAt"),
        ("started", "startedAt"),
        ("completed", "completedAt"),
        ("expires", "expiresAt"),
        ("cancel requested", "cancelRequested"),
        ("error", "error"),
        ("download", "downloadUrl"),
    ),
    formats={"fileSizeBytes": output.size, "progressPercentage": _percent},
)

IMPORT = JobKind(
    name="import",
    path=FILES_PATH,
    id_field="id",
    status_name=lambda status: FileStatus.of(status).value,
    columns=(
        ("ID", "id"),
        ("STATUS", "status"),
        ("MODE", "mode"),
        ("FILE", "originalName"),
        ("IMPORTED", "rowsImported"),
        ("REJECTED", "rowsRejected"),
        ("CREATED", "createdAt"),
    ),
    details=(
        ("id", "id"),
        ("kind", "kind"),
        ("status", "status"),
        ("progress", "progressPercentage"),
        ("mode", "mode"),
        ("file", "originalName"),
        ("type", "fileType"),
        ("size", "fileSize"),
        ("rows", "rowsTotal"),
        ("imported", "rowsImported"),
        ("unchanged", "rowsUnchanged"),
        ("rejected", "rowsRejected"),
        ("requested by", "requestedBy"),
        ("created", "createdAt"),
        ("started", "startedAt"),
        ("processed", "processedAt"),
        ("cancel requested", "cancelRequested"),
        ("error", "errorMessage"),
        ("error report", "errorReportUrl"),
    ),
    formats={"fileSize": output.size, "progressPercentage": _percent},
)

KINDS = {kind.name: kind for kind in (EXPORT, IMPORT)}
