"""Every table of the processor, in one metadata: what Alembic compares the migrations with."""

from __future__ import annotations

from sqlmodel import SQLModel

from conveyor_processor.exports.rows import ExportJobRow
from conveyor_processor.imports.rows import ImportJobRow
from conveyor_processor.orders.rows import OrderItemRow, OrderRow

# Each row model registers its table in SQLModel's metadata when it is defined.
ROW_MODELS = (OrderRow, OrderItemRow, ExportJobRow, ImportJobRow)
METADATA = SQLModel.metadata
