"""The downloadable templates: the CSV header or JSON shape, with one order that imports.

The example order is one of two items, so that the CSV shows how consecutive lines
sharing an orderId make one order; its total is the items' sum.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from conveyor_common.imports.model import CSV_COLUMNS

EXAMPLE_ORDER: dict[str, Any] = {
    "orderId": "ORD-1001",
    "customerId": "cust-42",
    "customerEmail": "jane.doe@example.com",
    "customerName": "Jane Doe",
    "currency": "EUR",
    "items": [
        {"sku": "SKU-1", "name": "Widget", "quantity": 2, "unitPrice": "19.99"},
        {"sku": "SKU-2", "name": "Gadget", "quantity": 1, "unitPrice": "5.00"},
    ],
    "totalAmount": "44.98",
}
_ORDER_CELLS = ("orderId", "customerId", "customerEmail", "customerName", "currency")


def csv_template() -> bytes:
    """CSV_COLUMNS, then one line per item of EXAMPLE_ORDER, the order's total on each."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for item in EXAMPLE_ORDER["items"]:
        cells = {name: EXAMPLE_ORDER[name] for name in _ORDER_CELLS}
        cells |= {"sku": item["sku"], "itemName": item["name"]}
        cells |= {"quantity": item["quantity"], "unitPrice": item["unitPrice"]}
        cells["totalAmount"] = EXAMPLE_ORDER["totalAmount"]
        writer.writerow([cells[column] for column in CSV_COLUMNS])
    return buffer.getvalue().encode()


def json_template() -> list[dict[str, Any]]:
    """A JSON array of one order: POST /api/v1/orders's body plus orderId."""
    return [EXAMPLE_ORDER]
