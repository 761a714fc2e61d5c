"""The exports feature's failures, free of HTTP: problems.py maps each to a status."""

from __future__ import annotations

from conveyor_common.errors import FieldError, ValidationFailed


class InvalidExport(ValidationFailed):
    """An export request the resource registry (or the shape of its body) refuses."""


class TooManyRows(InvalidExport):
    """More rows match than the requested format may hold."""

    def __init__(self, *, count: int, limit: int, format_name: str) -> None:
        super().__init__(
            [
                FieldError(
                    "filters",
                    f"{count:,} rows match, but a {format_name} export holds at most "
                    f"{limit:,} rows; narrow the filters or choose another format",
                )
            ]
        )


class ExportNotFound(LookupError):
    """No such export visible to the caller (another user's or tenant's is not found either)."""


class ExportExpired(LookupError):
    """The export outlived its retention; its file is gone."""


class ExportFinished(ValueError):
    """The export completed or failed already, so it can no longer be cancelled."""
