"""The orders routes: thin translations between requests and the order service."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, RawBody
from litestar.status_codes import HTTP_202_ACCEPTED

from conveyor_common.orders import OrderRequest
from conveyor_producer.http.accepted import IdempotencyKey, accepted_response, require_json
from conveyor_producer.http.auth import principal_of
from conveyor_producer.http.correlation import correlation_id_of
from conveyor_producer.http.openapi import with_json_body
from conveyor_producer.http.problems import documented_problems
from conveyor_producer.orders.requests import ORDER_EXAMPLE
from conveyor_producer.orders.service import OrderService
from conveyor_producer.orders.views import ORDERS_PATH, AcceptedOrder, OrderView
from conveyor_producer.principal import Principal


class OrdersController(Controller):
    path = ORDERS_PATH
    tags = ["orders"]  # noqa: RUF012 (Litestar reads it as a class attribute)

    @post(
        "/",
        status_code=HTTP_202_ACCEPTED,
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
    async def submit(
        self,
        request: Request[Principal, str, Any],
        body: RawBody,
        orders: NamedDependency[OrderService],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[AcceptedOrder]:
        require_json(request)
        checked = orders.check(
            body,
            principal=principal_of(request),
            correlation_id=correlation_id_of(request),
            idempotency_key=idempotency_key,
        )
        # On the event loop throughout: a handler thread per order cost more than the rest
        # of the API's own work (bench/api_overhead.py); the AWS calls are batched by the
        # adapters' sender threads, which the loop awaits.
        return accepted_response(await orders.accept(checked))

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
