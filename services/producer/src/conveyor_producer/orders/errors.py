"""The orders feature's failures, free of HTTP: problems.py maps each to a status."""

from __future__ import annotations

from conveyor_common.errors import ValidationFailed


class InvalidOrder(ValidationFailed):
    """An order request its shape or the order rules (conveyor_common.orders) refuse."""


class OrderNotFound(LookupError):
    """No such order for this tenant (another tenant's order is not found either)."""
