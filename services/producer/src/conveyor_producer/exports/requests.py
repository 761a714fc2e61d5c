"""What callers send: the body of POST /api/v1/exports, and the example the API documents."""

from __future__ import annotations

import msgspec

from conveyor_common.exports.model import ExportRequest
from conveyor_producer.exports.errors import InvalidExport
from conveyor_producer.http.request_body import decode_request

EXPORT_EXAMPLE = {
    "resource": "orders",
    "format": "xlsx",
    "filters": {"createdAt": {"from": "2026-01-01T00:00:00Z"}, "currency": ["EUR", "USD"]},
    "columns": ["orderId", "createdAt", "customerName", "totalAmount"],
    "title": "Orders in EUR and USD",
}

_decoder = msgspec.json.Decoder(ExportRequest)


def decode_export_request(body: bytes) -> ExportRequest:
    """400 for broken JSON, 422 (InvalidExport) for JSON that is no export request."""
    return decode_request(body, _decoder, invalid=InvalidExport)
