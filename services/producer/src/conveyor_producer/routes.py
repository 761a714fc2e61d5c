"""HTTP routes: thin translations between requests and the service layer."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any, Protocol, TypeVar

import anyio.to_thread
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import ClientException
from litestar.openapi.spec import OpenAPIType
from litestar.params import FromPath, HeaderParameter, RawBody
from litestar.status_codes import HTTP_202_ACCEPTED, HTTP_415_UNSUPPORTED_MEDIA_TYPE

from conveyor_common.orders import OrderRequest
from conveyor_producer.auth import Principal, principal_of
from conveyor_producer.correlation import correlation_id_of
from conveyor_producer.handlers import OrderService
from conveyor_producer.idempotency import HEADER as IDEMPOTENCY_HEADER
from conveyor_producer.idempotency import KEY_MAX_LENGTH, KEY_PATTERN
from conveyor_producer.openapi import JSON_MEDIA_TYPE, with_json_body
from conveyor_producer.problems import documented_problems
from conveyor_producer.readiness import ReadinessService
from conveyor_producer.views import AcceptedOrder, OrderView

API_PREFIX = "/api/v1"
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
ORDER_EXAMPLE = {
    "customerId": "cust-42",
    "customerEmail": "jane.doe@example.com",
    "customerName": "Jane Doe",
    "currency": "EUR",
    "items": [
        {"sku": "SKU-1", "name": "Widget", "quantity": 2, "unitPrice": "19.99"},
        {"sku": "SKU-2", "quantity": 1, "unitPrice": "5.00"},
    ],
    "totalAmount": "44.98",
}
AnswerT = TypeVar("AnswerT")
AnswerT_co = TypeVar("AnswerT_co", covariant=True)


class Submit(Protocol[AnswerT_co]):
    def __call__(
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


def accepted(
    request: Request[Principal, str, Any],
    body: bytes,
    submit: Submit[AnswerT],
    *,
    idempotency_key: str | None,
    location: Callable[[AnswerT], str],
) -> Response[AnswerT]:
    """202 with the Location to poll, for a JSON request the service accepted."""
    require_json(request)
    answer = submit(
        body,
        principal=principal_of(request),
        correlation_id=correlation_id_of(request),
        idempotency_key=idempotency_key,
    )
    return Response(answer, status_code=HTTP_202_ACCEPTED, headers={"Location": location(answer)})


class OrdersController(Controller):
    path = "/orders"
    tags = ["orders"]  # noqa: RUF012 (Litestar reads it as a class attribute)

    @post(
        "/",
        status_code=HTTP_202_ACCEPTED,
        sync_to_thread=True,
        summary="Submit an order",
        description=(
            "The body is an order request (conveyor_common.orders.OrderRequest, camelCase "
            "JSON). Accepted orders are processed asynchronously; poll the Location URL. "
            "An Idempotency-Key makes retries safe; reusing one for a different body is 422. "
            "Broken JSON (not UTF-8, bad syntax, nested too deeply) is 400; JSON that breaks "
            "a rule is 422 naming each field."
        ),
        operation_class=with_json_body(OrderRequest, example=ORDER_EXAMPLE),
        responses=documented_problems(400, 401, 413, 415, 422, 503),
    )
    def submit(
        self,
        request: Request[Principal, str, Any],
        body: RawBody,
        orders: NamedDependency[OrderService],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[AcceptedOrder]:
        return accepted(
            request,
            body,
            orders.submit,
            idempotency_key=idempotency_key,
            location=lambda order: f"{API_PREFIX}{self.path}/{order.order_id}",
        )

    @get(
        "/{order_id:uuid}",
        sync_to_thread=True,
        summary="Read an order's status",
        responses=documented_problems(400, 401, 404, 503),
    )
    def read(
        self,
        request: Request[Principal, str, Any],
        order_id: FromPath[uuid.UUID],
        orders: NamedDependency[OrderService],
    ) -> OrderView:
        return orders.get(order_id, principal=principal_of(request))


@get("/health", sync_to_thread=False, summary="Liveness", tags=["operations"])
def health() -> dict[str, str]:
    return {"status": "ok"}


@get("/ready", summary="Readiness", tags=["operations"], responses=documented_problems(503))
async def ready(readiness: NamedDependency[ReadinessService]) -> dict[str, Any]:
    # Not on the request handlers' threads: requests stuck on a slow dependency hold those.
    checks = await anyio.to_thread.run_sync(readiness.report, limiter=readiness.threads)
    return {"status": "ready", "checks": checks}
