"""Job rules, pure: who may see a job, whose jobs a listing shows, how deep it pages,
which addresses are told the outcome, and what a listed job's progress is."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from conveyor_common.errors import FieldError
from conveyor_common.jobs import JobStatus
from conveyor_common.text import MAX_RECIPIENTS, to_email_address
from conveyor_producer.principal import Principal

# Holders of this role see every job of their tenant, not just their own.
ADMIN_ROLE = "admin"
# A listing's pages.
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# Deeper pages cost a long OFFSET scan and nobody reads them: narrow by status instead.
# Bounded, too, so that the OFFSET always fits PostgreSQL's bigint.
MAX_PAGE = 10_000
COMPLETE_PERCENTAGE = 100


def is_visible(principal: Principal, *, tenant_id: str, requested_by: str) -> bool:
    """Own jobs, or any of the tenant's for admins; never another tenant's."""
    if tenant_id != principal.tenant:
        return False
    return requested_by == principal.sub or principal.has_role(ADMIN_ROLE)


def listed_requester(principal: Principal) -> str | None:
    """Whose jobs a listing shows: the caller's own, or (None) everyone's for admins."""
    return None if principal.has_role(ADMIN_ROLE) else principal.sub


def email_addresses(
    requested: Sequence[str], *, invalid: Callable[[list[FieldError]], Exception]
) -> tuple[str, ...]:
    """Each `notify` address normalised, once, in the order given; every bad one is
    reported, in the feature's own `invalid` failure, and so are more than
    MAX_RECIPIENTS: however they came (a JSON list, a form's commas), the e-mail must
    be one SES sends."""
    if len(requested) > MAX_RECIPIENTS:
        raise invalid(
            [FieldError("notify", f"must name at most {MAX_RECIPIENTS} e-mail addresses")]
        )
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
        raise invalid(errors)
    return tuple(addresses)


def listed_progress(status: JobStatus) -> int | None:
    """A job's history keeps no progress: complete when completed, unknown while running."""
    if status is JobStatus.COMPLETED:
        return COMPLETE_PERCENTAGE
    return None if status is JobStatus.PROCESSING else 0
