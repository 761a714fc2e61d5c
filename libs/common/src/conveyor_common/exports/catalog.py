"""The exportable resources. Adding one is a single `register(Resource(...))`."""

from __future__ import annotations

from conveyor_common.exports.registry import (
    Column,
    ColumnType,
    Filter,
    FilterKind,
    Resource,
    register,
)

_ORDER_FILTERS = (
    Filter("createdAt", FilterKind.RANGE, "o.created_at", ColumnType.DATETIME),
    Filter("status", FilterKind.ONE_OF, "o.status"),
    Filter("currency", FilterKind.ONE_OF, "o.currency", upper_case=True),
    Filter("customerId", FilterKind.EQUALS, "o.customer_id"),
)

ORDERS = register(
    Resource(
        name="orders",
        source="orders o",
        tenant_sql="o.tenant_id",
        columns=(
            Column("orderId", "Order ID", ColumnType.UUID, "o.order_id", width=38),
            Column("createdAt", "Created at", ColumnType.DATETIME, "o.created_at", width=22),
            Column("status", "Status", ColumnType.TEXT, "o.status", width=12),
            Column("customerId", "Customer ID", ColumnType.TEXT, "o.customer_id", width=18),
            Column("customerName", "Customer", ColumnType.TEXT, "o.customer_name", width=24),
            Column("customerEmail", "E-mail", ColumnType.TEXT, "o.customer_email", width=30),
            Column("currency", "Currency", ColumnType.TEXT, "o.currency", width=9),
            # Stored with the order: counting order_items per row was most of an export's work.
            Column("itemCount", "Items", ColumnType.INTEGER, "o.item_count", width=7),
            Column("totalAmount", "Total", ColumnType.MONEY, "o.total_amount", width=14),
            Column("persistedAt", "Persisted at", ColumnType.DATETIME, "o.persisted_at", width=22),
        ),
        filters=_ORDER_FILTERS,
        default_order="o.created_at, o.order_id",
    )
)

ORDER_ITEMS = register(
    Resource(
        name="order_items",
        source="order_items i JOIN orders o ON o.order_id = i.order_id",
        tenant_sql="o.tenant_id",
        columns=(
            Column("orderId", "Order ID", ColumnType.UUID, "i.order_id", width=38),
            Column("lineNo", "Line", ColumnType.INTEGER, "i.line_no", width=6),
            Column("createdAt", "Ordered at", ColumnType.DATETIME, "o.created_at", width=22),
            Column("customerId", "Customer ID", ColumnType.TEXT, "o.customer_id", width=18),
            Column("sku", "SKU", ColumnType.TEXT, "i.sku", width=16),
            Column("name", "Item", ColumnType.TEXT, "i.name", width=28),
            Column("quantity", "Quantity", ColumnType.INTEGER, "i.quantity", width=9),
            Column("unitPrice", "Unit price", ColumnType.MONEY, "i.unit_price", width=12),
            Column("lineTotal", "Line total", ColumnType.MONEY, "i.line_total", width=12),
            Column("currency", "Currency", ColumnType.TEXT, "o.currency", width=9),
        ),
        filters=_ORDER_FILTERS,
        default_order="o.created_at, i.order_id, i.line_no",
    )
)
