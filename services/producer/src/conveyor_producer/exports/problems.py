"""The exports feature's failures as problem types."""

from __future__ import annotations

from conveyor_producer.exports.errors import (
    ExportExpired,
    ExportFinished,
    ExportNotFound,
    InvalidExport,
    TooManyRows,
)
from conveyor_producer.http.problems import ProblemType, ProblemTypes

EXPORT_PROBLEMS: ProblemTypes = {
    InvalidExport: ProblemType(422, "validation-failed", "The request is not a valid export"),
    TooManyRows: ProblemType(422, "too-many-rows", "Too many rows for this format"),
    ExportNotFound: ProblemType(404, "export-not-found"),
    ExportExpired: ProblemType(410, "export-expired", "The export has expired"),
    ExportFinished: ProblemType(409, "export-finished", "The export has already finished"),
}
