"""Why a job stopped: the signals that stop its work, and the reasons its owner reads.

Whether trying again could help is decided by conveyor_aws.failures, as for every handler.
"""

from __future__ import annotations

import msgspec
import psycopg

MAX_REASON_LENGTH = 500


class Cancelled(Exception):
    """The job's owner cancelled it: the work must stop; not a failure.

    A kind whose work commits as it goes re-raises it with `partial_result`, the
    result of what it committed, so that the cancelled job says how much that was.
    """

    def __init__(self, *args: object, partial_result: msgspec.Struct | None = None) -> None:
        super().__init__(*args)
        self.partial_result = partial_result


class FailedPartway(Exception):
    """The job's work failed for good after committing part of it. A kind whose work
    commits as it goes raises it from the cause, with the result of what it committed
    and a message saying so, so that the failed job says how much stayed done."""

    def __init__(self, message: str, *, partial_result: msgspec.Struct) -> None:
        super().__init__(message)
        self.partial_result = partial_result


class LeaseLost(Exception):
    """Another worker owns the job now and records its outcome: the work must stop."""


class ReadableFailure(Exception):
    """Raise a subclass with a message a user can act on (no paths, no tracebacks):
    `readable_reason` records it as the job's error as it is."""


def readable_reason(exc: BaseException, *, noun: str) -> str:
    """One line a person can act on, whatever the job; never a traceback. A kind with
    failures of its own words those itself, then falls back on this."""
    if isinstance(exc, ReadableFailure):
        reason = first_line(exc)
    elif isinstance(exc, psycopg.OperationalError):
        reason = "the database could not be reached: " + first_line(exc)
    elif isinstance(exc, psycopg.Error):
        reason = "the database refused the query: " + first_line(exc)
    else:
        reason = f"the {noun} failed unexpectedly ({type(exc).__name__})"
    return shorten(reason)


def shorten(reason: str) -> str:
    return reason[:MAX_REASON_LENGTH]


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
