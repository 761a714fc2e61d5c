"""One classifier for every handler: transient, permanent or unexpected."""

from __future__ import annotations

import socket
from typing import Any

import msgspec
import psycopg
import pytest
import sqlalchemy.exc
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from conveyor_aws.failures import FailureKind, PermanentFailure, classify, is_transient
from conveyor_common.envelope import InvalidEnvelope, UnexpectedEvent
from conveyor_common.errors import FieldError, ValidationFailed


def client_error(code: str, status: int) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": "m"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "Operation")


def wrapped_by_sqlalchemy(driver_error: Exception) -> Exception:
    """What SQLAlchemy raises for a driver error: its own class, the driver's as cause."""
    try:
        try:
            raise driver_error
        except Exception as error:
            cls = (
                sqlalchemy.exc.IntegrityError
                if isinstance(error, psycopg.IntegrityError)
                else sqlalchemy.exc.OperationalError
            )
            raise cls("INSERT INTO orders ...", {}, error) from error
    except sqlalchemy.exc.DBAPIError as wrapped:
        return wrapped


def raised_while_handling(outer: Exception, inner: Exception) -> Exception:
    """`outer` raised inside an `except` for `inner`: inner is its __context__."""
    try:
        try:
            raise inner
        except Exception:
            raise outer  # noqa: B904 - the implicit context is the point
    except Exception as error:
        return error


class Unrelated(Exception):
    pass


class Broken(PermanentFailure):
    pass


@pytest.mark.parametrize(
    "error",
    [
        psycopg.OperationalError("connection refused"),
        psycopg.InterfaceError("the connection is closed"),
        wrapped_by_sqlalchemy(psycopg.OperationalError("server closed the connection")),
        sqlalchemy.exc.DisconnectionError("invalidated"),
        sqlalchemy.exc.TimeoutError("QueuePool limit reached"),
        EndpointConnectionError(endpoint_url="http://sqs"),
        ConnectTimeoutError(endpoint_url="http://sqs"),
        ReadTimeoutError(endpoint_url="http://sqs"),
        client_error("ThrottlingException", 400),
        client_error("ProvisionedThroughputExceededException", 400),
        client_error("SlowDown", 503),
        client_error("Whatever", 502),
        ConnectionRefusedError(111, "Connection refused"),
        TimeoutError("timed out"),
        socket.gaierror(-2, "Name or service not known"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_an_unavailable_dependency_is_transient(error: Exception) -> None:
    assert classify(error).kind is FailureKind.TRANSIENT
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        InvalidEnvelope("not an event envelope"),
        UnexpectedEvent("expected an OrderSubmitted envelope, got OrderPersisted"),
        msgspec.ValidationError("Expected `str`"),
        ValidationFailed([FieldError("currency", "unknown")]),
        Broken("event reused"),
        psycopg.errors.UniqueViolation("duplicate key"),
        wrapped_by_sqlalchemy(psycopg.errors.UniqueViolation("duplicate key")),
        psycopg.errors.StringDataRightTruncation("value too long"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_a_message_that_fails_the_same_way_every_time_is_permanent(error: Exception) -> None:
    assert classify(error).kind is FailureKind.PERMANENT


@pytest.mark.parametrize(
    "error",
    [
        ValueError("bug"),
        KeyError("missing"),
        psycopg.errors.UndefinedColumn("column x does not exist"),
        client_error("AccessDenied", 403),
        client_error("ValidationError", 400),
    ],
    ids=lambda error: type(error).__name__,
)
def test_anything_else_is_unexpected(error: Exception) -> None:
    assert classify(error).kind is FailureKind.UNEXPECTED


def test_a_transient_cause_anywhere_in_the_chain_decides() -> None:
    # given a domain error raised from a database outage, and one raised while handling it
    outage = psycopg.OperationalError("connection refused")
    try:
        raise RuntimeError("could not save") from outage
    except RuntimeError as explicit:
        caused = explicit
    implicit = raised_while_handling(Unrelated("cleanup failed"), outage)

    # then both are transient, naming the outage as the cause
    for error in (caused, implicit):
        classification = classify(error)
        assert classification.kind is FailureKind.TRANSIENT
        assert classification.cause is outage
        assert classification.label == "the database is unavailable"


def test_a_transient_cause_wins_over_a_permanent_wrapper() -> None:
    error = raised_while_handling(InvalidEnvelope("x"), TimeoutError("slow"))
    assert classify(error).kind is FailureKind.TRANSIENT


def test_a_cyclic_chain_is_walked_once() -> None:
    first, second = ValueError("a"), ValueError("b")
    first.__context__, second.__context__ = second, first
    assert classify(first).kind is FailureKind.UNEXPECTED
