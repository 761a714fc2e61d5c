"""The orders feature, as the composition root registers it."""

from __future__ import annotations

from conveyor_producer.http.features import Feature
from conveyor_producer.orders.ports import OrderAdapters
from conveyor_producer.orders.problems import ORDER_PROBLEMS
from conveyor_producer.orders.routes import OrdersController
from conveyor_producer.orders.service import OrderService


def order_service(adapters: OrderAdapters) -> OrderService:
    return OrderService(
        publisher=adapters.publisher,
        state_table=adapters.state_table,
        records=adapters.order_records,
        stored=adapters.stored_orders,
        clock=adapters.clock,
    )


ORDERS: Feature[OrderAdapters] = Feature(
    controller=OrdersController,
    # OrdersController's routes take the service as `orders`.
    service_name="orders",
    build_service=order_service,
    problems=ORDER_PROBLEMS,
)
