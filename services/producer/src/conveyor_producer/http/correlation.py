"""The correlation id: taken from X-Correlation-ID or made up, logged, echoed, published.

It is stored in the ASGI scope so that the problem handlers (which also run
for requests that matched no route) and the response hook see the same id.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from conveyor_common.log import correlation

HEADER = "X-Correlation-ID"
_HEADER_NAME = HEADER.lower().encode("latin-1")
_STATE_KEY = "correlation_id"
# Visible ASCII only, so a caller cannot forge log lines or response headers.
_ACCEPTABLE = re.compile(r"^[\x21-\x7e]{1,128}$")


def accept_correlation_id(value: str | None) -> str:
    """The caller's id when it is safe to log and echo, else a fresh one."""
    if value and _ACCEPTABLE.match(value):
        return value
    return str(uuid.uuid4())


def correlation_id_for(scope: Scope) -> str:
    state: dict[str, Any] = scope.setdefault("state", {})
    existing = state.get(_STATE_KEY)
    if isinstance(existing, str):
        return existing
    raw = None
    for name, value in scope["headers"]:
        if name == _HEADER_NAME:
            raw = value  # the last one sent, as a dict of the headers would keep
    chosen = accept_correlation_id(raw.decode("latin-1") if raw else None)
    state[_STATE_KEY] = chosen
    return chosen


def correlation_id_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    return correlation_id_for(connection.scope)


def correlation_middleware(app: ASGIApp) -> ASGIApp:
    """Binds the correlation id to every log line written while handling the request."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        with correlation(correlation_id_for(scope)):
            await app(scope, receive, send)

    return middleware


async def echo_correlation_id(message: Message, scope: Scope) -> None:
    """A before-send hook: every HTTP response, errors included, carries the id.

    Appended to the raw headers, not set through Litestar's header mapping: no response
    carries one already (the header is the caller's, and only this hook answers it), and
    the mapping's search costs a few per cent of a request (bench/api_overhead.py)."""
    if message["type"] == "http.response.start":
        headers = message.setdefault("headers", [])
        if not isinstance(headers, list):
            headers = message["headers"] = list(headers)
        headers.append((_HEADER_NAME, correlation_id_for(scope).encode("latin-1")))
