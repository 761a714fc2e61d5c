"""The producer's failures, free of HTTP: problems.py maps each to a status code."""

from __future__ import annotations

from conveyor_common.errors import FieldError, ValidationFailed

# Seconds a caller is asked to wait before retrying after a dependency failed.
DEFAULT_RETRY_AFTER_SECONDS = 5


class MalformedBody(ValueError):
    """The body is not JSON at all (as opposed to JSON of the wrong shape)."""


class InvalidIdempotencyKey(ValueError):
    """The Idempotency-Key header is empty, too long or not printable."""


class IdempotencyKeyReused(ValueError):
    """The Idempotency-Key was first used with a different request."""


class OrderNotFound(LookupError):
    """No such order for this tenant (another tenant's order is not found either)."""


class InvalidExport(ValidationFailed):
    """An export request the resource registry (or the shape of its body) refuses."""


class TooManyRows(InvalidExport):
    """More rows match than the requested format may hold."""

    def __init__(self, *, count: int, limit: int, format_name: str) -> None:
        self.count = count
        self.limit = limit
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


class DependencyUnavailable(RuntimeError):
    """A dependency failed; the request may succeed when retried."""

    def __init__(
        self,
        dependency: str,
        detail: str,
        *,
        retry_after_seconds: int = DEFAULT_RETRY_AFTER_SECONDS,
    ) -> None:
        self.dependency = dependency
        self.retry_after_seconds = retry_after_seconds
        super().__init__(f"{dependency}: {detail}")
