"""The producer's public REST API, as the CLI calls it: a base URL and a bearer token
(options, else CONVEYOR_API_URL and CONVEYOR_TOKEN), and problem answers turned into
one readable error line. The CLI is a client like any other: it never reads the
services' database or state table."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click
import httpx

from conveyor_producer.http.paths import API_PREFIX

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_API_URL = "http://localhost:8000"
API_URL_VARIABLE = "CONVEYOR_API_URL"
TOKEN_VARIABLE = "CONVEYOR_TOKEN"  # noqa: S105 (the variable's name, not a secret)
# The API answers within seconds or with a 503; an upload to S3 has its own timeout.
REQUEST_TIMEOUT_SECONDS = 30.0
# The API sheds load with 503 and Retry-After while a dependency is slow: a read, or an
# action that is the same when repeated, is sent again this often, waiting at most this.
UNAVAILABLE_RETRIES = 3
MAX_RETRY_AFTER_SECONDS = 10.0
UNAVAILABLE = 503


def api_options(command: F) -> F:
    """--api-url and --token, from the environment unless given."""
    command = click.option(
        "--token",
        envvar=TOKEN_VARIABLE,
        required=True,
        help=f"Bearer token (default: ${TOKEN_VARIABLE}); `conveyor token` mints one.",
    )(command)
    return click.option(
        "--api-url",
        envvar=API_URL_VARIABLE,
        default=DEFAULT_API_URL,
        show_default=True,
        help=f"The producer's base URL (default: ${API_URL_VARIABLE}).",
    )(command)


class ApiError(click.ClickException):
    """An answer other than the one asked for, or no answer at all."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class Api:
    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def get(self, path: str, **params: Any) -> Any:
        query = {name: value for name, value in params.items() if value is not None}
        return self._answer(lambda: self.http.get(_api_path(path), params=query), retry=True)

    def post(self, path: str, *, json: Any = None, idempotent: bool = False) -> Any:
        """With `idempotent`, a 503 is retried: sending it again does the same."""
        return self._answer(lambda: self.http.post(_api_path(path), json=json), retry=idempotent)

    def _answer(self, send: Callable[[], httpx.Response], *, retry: bool) -> Any:
        retries = UNAVAILABLE_RETRIES if retry else 0
        while True:
            response = self._sent(send)
            wait = retry_after(response)
            if wait is None or retries == 0:
                break
            retries -= 1
            time.sleep(wait)
        if response.is_error:
            raise ApiError(problem_line(response), status=response.status_code)
        return response.json()

    def _sent(self, send: Callable[[], httpx.Response]) -> httpx.Response:
        try:
            return send()
        except httpx.HTTPError as error:
            raise ApiError(f"cannot reach the API at {self.http.base_url}: {error}") from error


def retry_after(response: httpx.Response) -> float | None:
    """How long to wait before sending again: only a 503 with a Retry-After in seconds."""
    if response.status_code != UNAVAILABLE:
        return None
    try:
        return min(max(float(response.headers["Retry-After"]), 0.0), MAX_RETRY_AFTER_SECONDS)
    except (KeyError, ValueError):
        return None


@contextmanager
def connected(api_url: str, token: str) -> Iterator[Api]:
    with httpx.Client(
        base_url=api_url.rstrip("/"),
        headers={"Authorization": f"Bearer {token}"},
        timeout=REQUEST_TIMEOUT_SECONDS,
    ) as http:
        yield Api(http)


def problem_line(response: httpx.Response) -> str:
    """`<status> <title>: <detail> (field: message; ...)` from an RFC 9457 problem, else
    the status and the start of the body."""
    try:
        problem = response.json()
    except ValueError:
        problem = None
    if not isinstance(problem, dict):
        return f"{response.status_code} {response.reason_phrase}: {response.text[:200]}".rstrip()
    title = problem.get("title") or response.reason_phrase
    detail = problem.get("detail")
    line = f"{response.status_code} {title}" + (f": {detail}" if detail else "")
    errors = [
        f"{error.get('field')}: {error.get('message')}"
        for error in problem.get("errors") or []
        if isinstance(error, dict)
    ]
    return line + (f" ({'; '.join(errors)})" if errors else "")


def _api_path(path: str) -> str:
    """Links the API hands out already start with its prefix; other paths are relative."""
    return path if path.startswith(API_PREFIX) else f"{API_PREFIX}{path}"
