"""What a caller may ask for in an export: the request, its formats and their limits."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import msgspec

from conveyor_common.text import EMAIL_LENGTH, MAX_RECIPIENTS, documented_email, documented_text

# Rows a single export may hold. PDF is far lower: a rendered table costs about
# 200 KB of memory per row in WeasyPrint, so PDFs are rendered in bounded chunks.
MAX_ROWS_TABULAR = 500_000
MAX_ROWS_PDF = 20_000
# Exports and their files live this long; the bucket's lifecycle rule is built from it
# (conveyor_aws.bootstrap; infra/terraform/modules/storage states the same number).
RETENTION_DAYS = 30
# Links in e-mails last as long as SigV4 allows; links from the API are short-lived.
EMAIL_LINK_TTL_SECONDS = 7 * 24 * 3600
API_LINK_TTL_SECONDS = 3600
MAX_TITLE_LENGTH = 200
MAX_COLUMNS = 100
MAX_FILTERS = 32
# Resource, column and filter names: identifiers the registry declares.
MAX_NAME_LENGTH = 64


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


# A filter's value: a scalar, a list of them (one_of) or {"from", "to"} (range). Typed
# this far, so that no body nests deeper than this, whatever the caller sends.
FilterScalar = str | int | float | bool | None
FilterValue = FilterScalar | list[FilterScalar] | dict[str, FilterScalar]
Filters = Annotated[
    dict[Annotated[str, msgspec.Meta(max_length=MAX_NAME_LENGTH)], FilterValue],
    msgspec.Meta(max_length=MAX_FILTERS),
]
Name = Annotated[str, msgspec.Meta(max_length=MAX_NAME_LENGTH)]
Title = Annotated[
    str,
    msgspec.Meta(
        max_length=MAX_TITLE_LENGTH,
        extra_json_schema=documented_text(description="One line: no control characters."),
    ),
]
Email = Annotated[str, msgspec.Meta(max_length=EMAIL_LENGTH, extra_json_schema=documented_email())]


class ExportRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=True, frozen=True):
    """The body of POST /api/v1/exports.

    `resource`, `columns` and `filters` name what the resource registry declares;
    `notify` defaults to the e-mail address in the caller's token.
    """

    resource: Name
    format: ExportFormat
    filters: Filters = {}
    columns: Annotated[list[Name], msgspec.Meta(min_length=1, max_length=MAX_COLUMNS)] | None = None
    title: Title | None = None
    notify: Annotated[list[Email], msgspec.Meta(max_length=MAX_RECIPIENTS)] | None = None
    # A UTF-8 byte-order mark makes Excel open a CSV as UTF-8.
    include_bom: bool = False
