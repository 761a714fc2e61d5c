"""Why a handler failed, and whether the same message could succeed later.

One classifier for every worker and handler (orders, exports, e-mails):

- TRANSIENT: a dependency is down, slow or throttling (PostgreSQL, AWS, the
  network). The message is retried for as long as an ordinary outage lasts.
- PERMANENT: the message itself is wrong and fails the same way on every
  attempt (an undecodable envelope, an invalid payload, a broken contract such
  as an envelope of another event than its handler takes).
  It goes to the DLQ at once, with its reason.
- UNEXPECTED: anything else, most likely a bug. A few quick retries, then the DLQ.

The whole `__cause__`/`__context__` chain is examined, because libraries wrap
the error that matters: SQLAlchemy wraps psycopg's OperationalError in its own.
psycopg and SQLAlchemy are looked up in `sys.modules` only: a service that
never imported them (the notifier) cannot have raised their errors.
"""

from __future__ import annotations

import enum
import socket
import sys
from collections.abc import Iterator
from typing import Any, NamedTuple

import msgspec
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from conveyor_common.envelope import InvalidEnvelope, UnexpectedEvent
from conveyor_common.errors import ValidationFailed

# AWS error codes that mean "slow down" or "try later", whatever the service.
RETRYABLE_AWS_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ProvisionedThroughputExceededException",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "RequestTimeout",
        "RequestTimeoutException",
        "TransactionInProgressException",
    }
)
_SERVER_ERROR_STATUS = 500
# (module, attribute) of driver errors that mean "the database is unreachable or failing over".
_DATABASE_TRANSIENT = (
    ("psycopg", "OperationalError"),
    ("psycopg", "InterfaceError"),
    ("psycopg_pool", "PoolTimeout"),
    ("sqlalchemy.exc", "OperationalError"),
    ("sqlalchemy.exc", "InterfaceError"),
    ("sqlalchemy.exc", "DisconnectionError"),
    ("sqlalchemy.exc", "TimeoutError"),
)
# Data the database refuses whatever the attempt: the message carries it.
_DATABASE_PERMANENT = (
    ("psycopg", "IntegrityError"),
    ("psycopg", "DataError"),
    ("sqlalchemy.exc", "IntegrityError"),
    ("sqlalchemy.exc", "DataError"),
)
# Longest chain walked: real chains are a handful of links.
_MAX_CHAIN = 32


class FailureKind(enum.StrEnum):
    TRANSIENT = "transient"
    PERMANENT = "permanent"
    UNEXPECTED = "unexpected"


class PermanentFailure(Exception):
    """Base of errors a redelivery cannot fix: raising one parks the message at once."""


class Classification(NamedTuple):
    kind: FailureKind
    # What failed, in words safe to show to a caller (no hosts, no SQL).
    label: str
    # The link of the chain that decided.
    cause: BaseException


def classify(exc: BaseException) -> Classification:
    """Transient if any link of the chain is; else permanent if any link is; else unexpected."""
    chain = list(exception_chain(exc))
    for link in chain:
        label = _transient_label(link)
        if label is not None:
            return Classification(FailureKind.TRANSIENT, label, link)
    for link in chain:
        label = _permanent_label(link)
        if label is not None:
            return Classification(FailureKind.PERMANENT, label, link)
    return Classification(FailureKind.UNEXPECTED, "unexpected error", exc)


def is_transient(exc: BaseException) -> bool:
    return classify(exc).kind is FailureKind.TRANSIENT


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception, then its causes and contexts, each once."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending and len(seen) < _MAX_CHAIN:
        link = pending.pop(0)
        if id(link) in seen:
            continue
        seen.add(id(link))
        yield link
        for parent in (link.__cause__, link.__context__):
            if parent is not None:
                pending.append(parent)


def _transient_label(exc: BaseException) -> str | None:
    if _is_any(exc, _DATABASE_TRANSIENT):
        return "the database is unavailable"
    if isinstance(exc, BotoConnectionError | HTTPClientError):
        return "an AWS endpoint is unreachable"
    if isinstance(exc, ClientError) and _retryable_client_error(exc):
        return "an AWS service is throttling or unavailable"
    if isinstance(exc, ConnectionError | TimeoutError | socket.gaierror):
        return "a network connection failed"
    return None


def _permanent_label(exc: BaseException) -> str | None:
    if isinstance(exc, InvalidEnvelope | msgspec.ValidationError | msgspec.DecodeError):
        return "the message is not a valid event"
    if isinstance(exc, UnexpectedEvent):
        return "the message is not the event its handler takes"
    if isinstance(exc, ValidationFailed):
        return "the message breaks a business rule"
    if isinstance(exc, PermanentFailure):
        return "the message cannot be processed"
    if _is_any(exc, _DATABASE_PERMANENT):
        return "the database refuses the data"
    return None


def _retryable_client_error(exc: ClientError) -> bool:
    response: Any = exc.response
    code = response.get("Error", {}).get("Code", "")
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return code in RETRYABLE_AWS_CODES or int(status or 0) >= _SERVER_ERROR_STATUS


def _is_any(exc: BaseException, names: tuple[tuple[str, str], ...]) -> bool:
    for module_name, attribute in names:
        module = sys.modules.get(module_name)
        cls = getattr(module, attribute, None) if module is not None else None
        if isinstance(cls, type) and isinstance(exc, cls):
            return True
    return False
