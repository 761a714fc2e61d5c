"""Export rules, pure: who may see an export, whom it notifies, how many rows fit,
and how deep a listing pages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from conveyor_common.errors import FieldError
from conveyor_common.exports.model import ExportFormat
from conveyor_common.text import to_email_address
from conveyor_producer.exports.errors import InvalidExport, TooManyRows
from conveyor_producer.principal import Principal

# Holders of this role see every export of their tenant, not just their own.
ADMIN_ROLE = "admin"
# Requesting or cancelling exports moves data out: it takes this role (or admin).
EXPORTER_ROLE = "exporter"
# A listing's pages.
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# Deeper pages cost a long OFFSET scan and nobody reads them: narrow by status instead.
# Bounded, too, so that the OFFSET always fits PostgreSQL's bigint.
MAX_PAGE = 10_000


def is_visible(principal: Principal, *, tenant_id: str, requested_by: str) -> bool:
    """Own exports, or any of the tenant's for admins; never another tenant's."""
    if tenant_id != principal.tenant:
        return False
    return requested_by == principal.sub or principal.has_role(ADMIN_ROLE)


def listed_requester(principal: Principal) -> str | None:
    """Whose exports a listing shows: the caller's own, or (None) everyone's for admins."""
    return None if principal.has_role(ADMIN_ROLE) else principal.sub


def recipients(requested: Sequence[str] | None, principal: Principal) -> tuple[str, ...]:
    """The addresses to notify: those asked for, else the caller's own from the token."""
    addresses = _addresses(requested if requested is not None else [_own_address(principal)])
    if not addresses:
        raise InvalidExport([FieldError("notify", "needs at least one e-mail address")])
    return addresses


def _own_address(principal: Principal) -> str:
    if principal.email is None:
        raise InvalidExport(
            [FieldError("notify", "is required: the token carries no e-mail address")]
        )
    return principal.email


def _addresses(requested: Sequence[str]) -> tuple[str, ...]:
    """Each address normalised, once, in the order given; every bad one is reported."""
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
    return tuple(addresses)


def check_row_limit(count: int, export_format: ExportFormat) -> None:
    if count > export_format.row_limit:
        raise TooManyRows(
            count=count, limit=export_format.row_limit, format_name=export_format.value.upper()
        )


def has_expired(expires_at: datetime, *, now: datetime) -> bool:
    return now >= expires_at
