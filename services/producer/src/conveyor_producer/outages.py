"""Outages of the services the producer depends on, as DependencyUnavailable (503).

A failure reaching DynamoDB, SNS or PostgreSQL says nothing about the request:
the caller is asked to retry it later (503 with Retry-After).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from botocore.exceptions import BotoCoreError, ClientError

# The names a 503 gives the dependency that failed.
STATE_STORE = "state store"
EVENT_BUS = "event bus"
DATABASE = "database"
# Seconds a caller is asked to wait before retrying after a dependency failed.
RETRY_AFTER_SECONDS = 5


class DependencyUnavailable(RuntimeError):
    """A dependency failed; the request may succeed when retried (Retry-After)."""

    def __init__(self, dependency: str, detail: str) -> None:
        super().__init__(f"{dependency}: {detail}")


@contextmanager
def outages_of(dependency: str) -> Iterator[None]:
    """AWS and connection failures inside the block become DependencyUnavailable."""
    try:
        yield
    except (BotoCoreError, ClientError, psycopg.OperationalError) as exc:
        raise DependencyUnavailable(dependency, str(exc)) from exc
