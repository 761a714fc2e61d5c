"""The baseline of bench/orders.py: a bare Litestar and msgspec app taking an order.

    uv run python bench/bare_app.py PORT

One POST route decodes a body of the order's shape into a msgspec Struct and answers
202 JSON; no auth, no rules, no logging, no AWS. It is served by the producer's own
`serve` (conveyor_producer.http.server), so the server and its settings are the API's.
"""

from __future__ import annotations

import sys
import uuid

import msgspec
from litestar import Litestar, get, post
from litestar.status_codes import HTTP_202_ACCEPTED

from conveyor_devstack.ports import LOOPBACK
from conveyor_producer.http.server import serve

BARE_PATH = "/orders"


class Item(msgspec.Struct, rename="camel"):
    sku: str
    quantity: int
    unit_price: str
    name: str | None = None


class OrderBody(msgspec.Struct, rename="camel"):
    customer_id: str
    customer_email: str
    currency: str
    items: list[Item]
    total_amount: str
    customer_name: str | None = None


class Accepted(msgspec.Struct, rename="camel"):
    order_id: str
    status: str


@post(BARE_PATH, status_code=HTTP_202_ACCEPTED)
async def submit(data: OrderBody) -> Accepted:
    return Accepted(order_id=str(uuid.uuid4()), status="ACCEPTED")


@get("/health")
async def health() -> str:
    return "ok"


def bare_app() -> Litestar:
    return Litestar(route_handlers=[submit, health], openapi_config=None)


if __name__ == "__main__":
    serve(bare_app(), host=LOOPBACK, port=int(sys.argv[1]))
