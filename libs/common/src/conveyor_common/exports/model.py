"""What a caller may ask for, and the states an export job moves through."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import msgspec

# Rows a single export may hold. PDF is far lower: a rendered table costs about
# 200 KB of memory per row in WeasyPrint, so PDFs are rendered in bounded chunks.
MAX_ROWS_TABULAR = 500_000
MAX_ROWS_PDF = 20_000
# Exports and their files live this long; the bucket's lifecycle rule matches it.
RETENTION_DAYS = 30
# Links in e-mails last as long as SigV4 allows; links from the API are short-lived.
EMAIL_LINK_TTL_SECONDS = 7 * 24 * 3600
API_LINK_TTL_SECONDS = 3600
MAX_TITLE_LENGTH = 200
MAX_RECIPIENTS = 20


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    PDF = "pdf"

    @property
    def row_limit(self) -> int:
        return MAX_ROWS_PDF if self is ExportFormat.PDF else MAX_ROWS_TABULAR

    @property
    def content_type(self) -> str:
        return {
            ExportFormat.CSV: "text/csv; charset=utf-8",
            ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ExportFormat.PDF: "application/pdf",
        }[self]


class ExportStatus(StrEnum):
    QUEUED = "QUEUED"
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL


_TERMINAL = frozenset({ExportStatus.COMPLETED, ExportStatus.FAILED, ExportStatus.CANCELLED})

_TRANSITIONS: dict[ExportStatus, frozenset[ExportStatus]] = {
    ExportStatus.QUEUED: frozenset(
        {ExportStatus.PROCESSING, ExportStatus.CANCELLED, ExportStatus.FAILED}
    ),
    # PROCESSING -> PROCESSING is a new claim after a dead worker's lease expired.
    ExportStatus.PROCESSING: frozenset(
        {
            ExportStatus.PROCESSING,
            ExportStatus.COMPLETED,
            ExportStatus.FAILED,
            ExportStatus.CANCELLED,
        }
    ),
}


def can_transition(current: ExportStatus, target: ExportStatus) -> bool:
    return target in _TRANSITIONS.get(current, frozenset())


Email = Annotated[str, msgspec.Meta(max_length=254)]


class ExportRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=True, frozen=True):
    """The body of POST /api/v1/exports."""

    resource: Annotated[str, msgspec.Meta(max_length=64)]
    format: ExportFormat
    filters: dict[str, Any] = {}
    columns: Annotated[list[str], msgspec.Meta(min_length=1, max_length=100)] | None = None
    title: Annotated[str, msgspec.Meta(max_length=MAX_TITLE_LENGTH)] | None = None
    notify: Annotated[list[Email], msgspec.Meta(max_length=MAX_RECIPIENTS)] | None = None
    # A UTF-8 byte-order mark makes Excel open a CSV as UTF-8.
    include_bom: bool = False
