"""Order rules, pure: who may read an order, and what makes two requests the same."""

from __future__ import annotations

from conveyor_producer.principal import Principal

# Generated per attempt, so they must not make two identical orders differ.
ORDER_VOLATILE_FIELDS = ("order_id", "submitted_at")


def is_visible(principal: Principal, *, tenant_id: str) -> bool:
    """Any order of the caller's tenant; never another tenant's."""
    return tenant_id == principal.tenant
