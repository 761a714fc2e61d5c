"""The orders feature's failures as problem types."""

from __future__ import annotations

from conveyor_producer.http.problems import ProblemType, ProblemTypes
from conveyor_producer.orders.errors import InvalidOrder, OrderNotFound

ORDER_PROBLEMS: ProblemTypes = {
    InvalidOrder: ProblemType(422, "validation-failed", "The request is not a valid order"),
    OrderNotFound: ProblemType(404, "order-not-found"),
}
