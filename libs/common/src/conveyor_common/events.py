"""Every event Conveyor publishes, one typed payload each."""

from __future__ import annotations

from conveyor_common.envelope import Event, register
from conveyor_common.orders import Order


@register
class OrderSubmitted(Event, frozen=True, kw_only=True):
    event_type = "OrderSubmitted"
    schema_version = 1

    order: Order
