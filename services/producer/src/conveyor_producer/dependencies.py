"""Failures of the services the producer depends on, turned into DependencyUnavailable."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from botocore.exceptions import BotoCoreError, ClientError

from conveyor_producer.errors import DependencyUnavailable

STATE_STORE = "state store"
EVENT_BUS = "event bus"
DATABASE = "database"


@contextmanager
def dependency(name: str) -> Iterator[None]:
    """AWS and connection failures become DependencyUnavailable (503 with Retry-After)."""
    try:
        yield
    except (BotoCoreError, ClientError, psycopg.OperationalError) as exc:
        raise DependencyUnavailable(name, str(exc)) from exc
