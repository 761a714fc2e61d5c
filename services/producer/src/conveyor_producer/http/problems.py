"""Every error as an RFC 9457 problem body (application/problem+json).

Bad input always maps to a 4xx status; only a bug gives a 500, and that is logged.
Features declare their own failures as ProblemTypes beside them; the composition
root hands them to `exception_handlers`.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi import ResponseSpec
from litestar.types import ExceptionHandlersMap

from conveyor_common.errors import FieldError, ValidationFailed
from conveyor_common.log import get_logger
from conveyor_producer.acceptance.idempotency import IdempotencyKeyReused, InvalidIdempotencyKey
from conveyor_producer.http.auth import KeySetUnavailable
from conveyor_producer.http.correlation import correlation_id_of
from conveyor_producer.http.request_body import ClientDisconnected, MalformedBody
from conveyor_producer.outages import RETRY_AFTER_SECONDS, DependencyUnavailable

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://conveyor.example.com/problems/"
# RFC 9457: a problem that is just its HTTP status needs no type of its own.
GENERIC_PROBLEM_TYPE = "about:blank"
RETRY_AFTER_HEADER = "Retry-After"

logger = get_logger(__name__)


class Problem(msgspec.Struct, kw_only=True, omit_defaults=True, rename="camel"):
    type: str
    title: str
    status: int
    detail: str
    correlation_id: str
    errors: list[FieldError] | None = None


_problem_encoder = msgspec.json.Encoder()


def documented_problems(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the problem responses a route can give."""
    return {
        status: ResponseSpec(
            data_container=Problem,
            media_type=PROBLEM_MEDIA_TYPE,
            description=HTTPStatus(status).phrase,
            # Made-up examples (a status of 7024) would only mislead.
            generate_examples=False,
        )
        for status in statuses
    }


def problem_response(
    request: Request[Any, Any, Any],
    *,
    status: int,
    detail: str,
    slug: str | None = None,
    title: str | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[bytes]:
    problem = Problem(
        type=f"{PROBLEM_TYPE_BASE}{slug}" if slug else GENERIC_PROBLEM_TYPE,
        title=title or HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        correlation_id=correlation_id_of(request),
        errors=errors,
    )
    return Response(
        content=_problem_encoder.encode(problem),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


class ProblemType(msgspec.Struct, frozen=True):
    """The status and problem type a failure maps to."""

    status: int
    slug: str
    # None: the status's own phrase.
    title: str | None = None


# Each feature declares its failures this way; the composition root registers them.
ProblemTypes = Mapping[type[Exception], ProblemType]

# The failures of what every feature shares: request bodies and Idempotency-Keys.
SHARED_PROBLEMS: ProblemTypes = {
    MalformedBody: ProblemType(400, "malformed-body"),
    InvalidIdempotencyKey: ProblemType(400, "invalid-idempotency-key"),
    IdempotencyKeyReused: ProblemType(
        422, "idempotency-key-reused", "Idempotency-Key reused with a different request"
    ),
    # Features raise subclasses titled for what they accept; this is for any other.
    ValidationFailed: ProblemType(422, "validation-failed"),
}


class _ProblemOfType:
    """Answers a registered failure with the problem type of its nearest registered class."""

    def __init__(self, problem_types: ProblemTypes) -> None:
        self._types = problem_types

    def __call__(self, request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
        problem = next(self._types[cls] for cls in type(exc).__mro__ if cls in self._types)
        return problem_response(
            request,
            status=problem.status,
            slug=problem.slug,
            title=problem.title,
            detail=str(exc),
            errors=exc.errors if isinstance(exc, ValidationFailed) else None,
        )


def _dependency_unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    # Retry-After for the producer's own dependencies; an unreachable key set gives none.
    retry_after = RETRY_AFTER_SECONDS if isinstance(exc, DependencyUnavailable) else None
    logger.warning("dependency unavailable", error=str(exc))
    return problem_response(
        request,
        status=503,
        slug="dependency-unavailable",
        detail=str(exc),
        headers={RETRY_AFTER_HEADER: str(retry_after)} if retry_after else None,
    )


def _http_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    assert isinstance(exc, HTTPException)
    if exc.status_code >= 500:
        logger.error("server error", path=request.url.path, exc_info=exc)
    errors = _litestar_field_errors(exc) if isinstance(exc, ValidationException) else None
    return problem_response(
        request,
        status=exc.status_code,
        detail=exc.detail,
        errors=errors,
        headers=dict(exc.headers) if exc.headers else None,
    )


def _litestar_field_errors(exc: ValidationException) -> list[FieldError] | None:
    """Litestar reports bad path or query parameters as dicts with `key` and `message`."""
    if not isinstance(exc.extra, list):
        return None
    return [
        FieldError(str(entry.get("key", "")), str(entry.get("message", "")))
        for entry in exc.extra
        if isinstance(entry, dict)
    ] or None


def _client_disconnected(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    # A client's network, not a fault here: one line, no traceback, no 5xx, nobody paged.
    # The answer reaches nobody; it is a 4xx so that nothing counts it as a server error.
    logger.info("request abandoned: the client hung up mid-body", path=request.url.path)
    return problem_response(request, status=400, slug="incomplete-body", detail=str(exc))


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    logger.error("unexpected error", path=request.url.path, exc_info=exc)
    return problem_response(
        request, status=500, slug="internal-error", detail="an unexpected error occurred"
    )


def exception_handlers(*feature_problems: ProblemTypes) -> ExceptionHandlersMap:
    """Every failure as a problem body: the shared ones, the features' and any other."""
    registered: dict[type[Exception], ProblemType] = dict(SHARED_PROBLEMS)
    for problem_types in feature_problems:
        claimed = registered.keys() & problem_types.keys()
        if claimed:
            raise ValueError(f"problem types registered twice: {sorted(map(str, claimed))}")
        registered.update(problem_types)
    return {
        **dict.fromkeys(registered, _ProblemOfType(registered)),
        DependencyUnavailable: _dependency_unavailable,
        KeySetUnavailable: _dependency_unavailable,
        ClientDisconnected: _client_disconnected,
        HTTPException: _http_exception,
        Exception: _unexpected,
    }
