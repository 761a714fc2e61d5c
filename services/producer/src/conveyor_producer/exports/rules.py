"""Export rules, pure: whom an export notifies and how many rows fit. Who may see
a job and how deep a listing pages are every job's (jobs.rules)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from conveyor_common.errors import FieldError
from conveyor_common.exports.model import ExportFormat
from conveyor_producer.exports.errors import InvalidExport, TooManyRows
from conveyor_producer.jobs.rules import email_addresses
from conveyor_producer.principal import Principal

# Requesting or cancelling exports moves data out: it takes this role (or admin).
EXPORTER_ROLE = "exporter"


def recipients(requested: Sequence[str] | None, principal: Principal) -> tuple[str, ...]:
    """The addresses to notify: those asked for, else the caller's own from the token."""
    addresses = email_addresses(
        requested if requested is not None else [_own_address(principal)], invalid=InvalidExport
    )
    if not addresses:
        raise InvalidExport([FieldError("notify", "needs at least one e-mail address")])
    return addresses


def _own_address(principal: Principal) -> str:
    if principal.email is None:
        raise InvalidExport(
            [FieldError("notify", "is required: the token carries no e-mail address")]
        )
    return principal.email


def check_row_limit(count: int, export_format: ExportFormat) -> None:
    if count > export_format.row_limit:
        raise TooManyRows(
            count=count, limit=export_format.row_limit, format_name=export_format.value.upper()
        )


def has_expired(expires_at: datetime, *, now: datetime) -> bool:
    return now >= expires_at
