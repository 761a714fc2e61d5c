"""What callers send: the body of POST /api/v1/orders, and the example the API documents."""

from __future__ import annotations

from conveyor_common.orders import ORDER_REQUEST_DECODER, OrderRequest, order_request_errors
from conveyor_producer.http.request_body import decode_request
from conveyor_producer.orders.errors import InvalidOrder

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


def decode_order_request(body: bytes) -> OrderRequest:
    """400 for broken JSON, 422 (InvalidOrder) naming every problem for JSON that is no
    order request."""
    try:
        return decode_request(body, ORDER_REQUEST_DECODER, invalid=InvalidOrder)
    except InvalidOrder as exc:
        # The decoder names its first problem; the body is JSON (checked): name them all.
        raise InvalidOrder(order_request_errors(body, first=exc.errors)) from exc
