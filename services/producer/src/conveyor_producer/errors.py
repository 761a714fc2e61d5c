"""The producer's failures, free of HTTP: problems.py maps each to a status code."""

from __future__ import annotations

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
