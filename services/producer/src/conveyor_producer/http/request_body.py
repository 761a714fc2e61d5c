"""Reading a request body: streamed as it arrives, or decoded as JSON, telling broken
JSON (400) from wrong shape (422).

Broken means not JSON text at all (RFC 8259): bytes that are not UTF-8, bad
syntax, lone surrogates, or nesting deeper than the decoder's recursion limit.
Everything else that does not fit the request type, such as a number too large
for any type, is a 422 naming the field.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TypeVar

import msgspec
from litestar.types import Receive

from conveyor_common.errors import ValidationFailed, field_error

T = TypeVar("T")

_syntax_checker = msgspec.json.Decoder()
TOO_DEEP = "the request body is nested too deeply"


class MalformedBody(ValueError):
    """The body is not JSON at all (as opposed to JSON of the wrong shape)."""


class ClientDisconnected(Exception):
    """The client closed the connection before its request body ended: its network or
    its own choice, not a fault of the service, and nobody is left to answer."""


async def streamed_body(receive: Receive) -> AsyncIterator[bytes]:
    """The body's chunks as the client sends them; ClientDisconnected if it hangs up
    first (Litestar's own stream raises a server error for that)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnected("the client closed the connection before the body ended")
        if message["type"] != "http.request":
            continue
        if message["body"]:
            yield message["body"]
        if not message.get("more_body", False):
            return


def decode_request(
    body: bytes, decoder: msgspec.json.Decoder[T], *, invalid: type[ValidationFailed]
) -> T:
    """The body as the decoder's type; `invalid` (the feature's 422) when it does not fit."""
    if not body.strip():
        raise MalformedBody("the request body is empty")
    check_utf8(body)
    try:
        return decoder.decode(body)
    except msgspec.ValidationError as exc:
        # msgspec validates while parsing, so broken JSON after a wrong field is found here too.
        check_syntax(body)
        raise invalid([field_error(str(exc))]) from exc
    except msgspec.DecodeError as exc:
        raise MalformedBody(f"the request body is not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise MalformedBody(TOO_DEEP) from exc


def check_utf8(body: bytes) -> None:
    """JSON text is UTF-8 (RFC 8259 section 8.1); msgspec would fail on it only later."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedBody(
            f"the request body is not valid UTF-8 (byte {exc.start}); JSON must be UTF-8"
        ) from exc


def check_syntax(body: bytes) -> None:
    try:
        _syntax_checker.decode(body)
    except msgspec.ValidationError:
        # Well-formed, but a number fits no Python type (1e400): the field is at fault.
        return
    except msgspec.DecodeError as exc:
        raise MalformedBody(f"the request body is not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise MalformedBody(TOO_DEEP) from exc
