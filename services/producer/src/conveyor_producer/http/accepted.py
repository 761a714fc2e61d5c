"""POST routes that take a JSON body and answer 202 with the Location to poll.

The routes hand the raw body to their service, which decodes it (telling broken
JSON from JSON of the wrong shape) after checking the Idempotency-Key.
"""

from __future__ import annotations

from typing import Annotated, Any, Protocol, TypeVar

from litestar import Request, Response
from litestar.exceptions import ClientException
from litestar.openapi.spec import OpenAPIType
from litestar.params import HeaderParameter
from litestar.status_codes import HTTP_202_ACCEPTED, HTTP_415_UNSUPPORTED_MEDIA_TYPE

from conveyor_producer.acceptance.idempotency import HEADER as IDEMPOTENCY_HEADER
from conveyor_producer.acceptance.idempotency import KEY_MAX_LENGTH, KEY_PATTERN
from conveyor_producer.http.auth import principal_of
from conveyor_producer.http.correlation import correlation_id_of
from conveyor_producer.http.openapi import JSON_MEDIA_TYPE
from conveyor_producer.principal import Principal

# JSON is UTF-8 (RFC 8259); a body declared in another charset would be misread.
JSON_CHARSETS = frozenset({"utf-8", "utf8"})

# Documented only: check_key enforces it, answering 400 invalid-idempotency-key.
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name=IDEMPOTENCY_HEADER,
        description="Makes retries safe: the same key and body get the first answer (24 h).",
        # A header is a string when sent; "absent" is not a null value.
        schema_extra={
            "one_of": None,
            "type": OpenAPIType.STRING,
            "min_length": 1,
            "max_length": KEY_MAX_LENGTH,
            "pattern": KEY_PATTERN,
        },
    ),
]


class Located(Protocol):
    @property
    def location(self) -> str:
        """Where the accepted request can be read back."""
        ...


AnswerT = TypeVar("AnswerT", bound=Located)
AnswerT_co = TypeVar("AnswerT_co", bound=Located, covariant=True)


class Submit(Protocol[AnswerT_co]):
    async def __call__(
        self,
        body: bytes,
        *,
        principal: Principal,
        correlation_id: str,
        idempotency_key: str | None = None,
    ) -> AnswerT_co: ...


def require_json(request: Request[Any, Any, Any]) -> None:
    media_type, options = request.content_type
    # Litestar lower-cases the media type and the parameter names.
    charset = options.get("charset", "utf-8").lower()
    if media_type != JSON_MEDIA_TYPE or charset not in JSON_CHARSETS:
        raise ClientException(
            f"Content-Type must be {JSON_MEDIA_TYPE} (UTF-8)",
            status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE,
        )


async def accepted(
    request: Request[Principal, str, Any],
    body: bytes,
    submit: Submit[AnswerT],
    *,
    idempotency_key: str | None,
) -> Response[AnswerT]:
    """202 with the Location to poll, for a JSON request the service accepted."""
    require_json(request)
    answer = await submit(
        body,
        principal=principal_of(request),
        correlation_id=correlation_id_of(request),
        idempotency_key=idempotency_key,
    )
    return accepted_response(answer)


def accepted_response(answer: AnswerT) -> Response[AnswerT]:
    """202 with the Location to poll."""
    return Response(answer, status_code=HTTP_202_ACCEPTED, headers={"Location": answer.location})
