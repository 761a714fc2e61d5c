"""A page of a listing as its caller may see it: the caller's own jobs (an admin's
tenant's), newest first, each with the progress a listing knows of it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from conveyor_common.jobs import JobStatus
from conveyor_producer.jobs.ports import J, JobHistory, JobListing
from conveyor_producer.jobs.rules import listed_progress, listed_requester
from conveyor_producer.outages import DATABASE, outages_of
from conveyor_producer.principal import Principal

ViewT = TypeVar("ViewT")


def listed_page(
    history: JobHistory[J],
    view: Callable[[J, int | None], ViewT],
    *,
    principal: Principal,
    status: JobStatus | None,
    page: int,
    limit: int,
) -> tuple[list[ViewT], int]:
    """The page's jobs, each made a view from it and its listed progress, and the total."""
    listing = JobListing(
        tenant_id=principal.tenant,
        requested_by=listed_requester(principal),
        status=status,
        page=page,
        limit=limit,
    )
    with outages_of(DATABASE):
        found = history.list_jobs(listing)
    return [view(job, listed_progress(job.status)) for job in found.jobs], found.total
