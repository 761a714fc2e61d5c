"""Export rules, pure: who may see an export, whom it notifies, how many rows fit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from conveyor_common.errors import FieldError
from conveyor_common.exports.model import ExportFormat
from conveyor_common.text import to_email_address
from conveyor_producer.auth import Principal
from conveyor_producer.errors import InvalidExport, TooManyRows

# Holders of this role see every export of their tenant, not just their own.
ADMIN_ROLE = "admin"
# Requesting or cancelling exports moves data out: it takes this role (or admin).
EXPORTER_ROLE = "exporter"


def is_visible(principal: Principal, *, tenant_id: str, requested_by: str) -> bool:
    """Own exports, or any of the tenant's for admins; never another tenant's."""
    if tenant_id != principal.tenant:
        return False
    return requested_by == principal.sub or principal.has_role(ADMIN_ROLE)


def recipients(requested: Sequence[str] | None, principal: Principal) -> tuple[str, ...]:
    """The addresses to notify: those asked for, else the caller's own from the token."""
    if requested is None:
        if principal.email is None:
            raise InvalidExport(
                [FieldError("notify", "is required: the token carries no e-mail address")]
            )
        requested = [principal.email]
    addresses: list[str] = []
    errors: list[FieldError] = []
    for index, raw in enumerate(requested):
        try:
            address = to_email_address(raw)
        except ValueError as exc:
            errors.append(FieldError(f"notify[{index}]", str(exc)))
            continue
        if address not in addresses:
            addresses.append(address)
    if errors:
        raise InvalidExport(errors)
    if not addresses:
        raise InvalidExport([FieldError("notify", "needs at least one e-mail address")])
    return tuple(addresses)


def check_row_limit(count: int, export_format: ExportFormat) -> None:
    if count > export_format.row_limit:
        raise TooManyRows(
            count=count, limit=export_format.row_limit, format_name=export_format.value.upper()
        )


def has_expired(expires_at: datetime, *, now: datetime) -> bool:
    return now >= expires_at
