"""Reading and cancelling one job as its caller may: the tenant and owner check (another
tenant's or user's job is not found), and cancelling by status. Blocking, free of HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from conveyor_common.jobs import JobStatus
from conveyor_common.log import get_logger
from conveyor_producer.jobs.ports import JobStates, OwnedT
from conveyor_producer.jobs.rules import is_visible
from conveyor_producer.outages import STATE_STORE, outages_of
from conveyor_producer.principal import Principal

logger = get_logger(__name__)


@dataclass(frozen=True)
class JobWording:
    """How a feature names its jobs, in its failures and its log."""

    # In failures: "export {id} not found", "file {id} is COMPLETED and ...".
    noun: str
    # In the log: "export cancel requested", with the id under `id_field`.
    activity: str
    id_field: str
    # The feature's own failures: 404, and 409 for a job too far gone to cancel.
    not_found: Callable[[str], Exception]
    finished: Callable[[str], Exception]


ShownT = TypeVar("ShownT")
ShownU = TypeVar("ShownU")


@dataclass(frozen=True)
class CancelOutcome(Generic[ShownT]):
    # The job as the cancel left it, or what its caller is shown of it.
    current: ShownT
    # False when the job had been cancelled already.
    changed: bool

    def shown(self, view: Callable[[ShownT], ShownU]) -> CancelOutcome[ShownU]:
        return CancelOutcome(current=view(self.current), changed=self.changed)


class JobAccess(Generic[OwnedT]):
    def __init__(self, states: JobStates[OwnedT], *, wording: JobWording) -> None:
        self._states = states
        self._wording = wording

    def visible(self, job_id: uuid.UUID, *, principal: Principal) -> OwnedT:
        """The job, if the caller may see it."""
        with outages_of(STATE_STORE):
            job = self._states.get(job_id)
        if job is None or not is_visible(
            principal, tenant_id=job.tenant_id, requested_by=job.requested_by
        ):
            raise self._not_found(job_id)
        return job

    def cancel(self, job_id: uuid.UUID, job: OwnedT, *, now: datetime) -> CancelOutcome[OwnedT]:
        """Cancels the visible `job`: at once when queued, by a flag its worker obeys when
        running; cancelling a cancelled job changes nothing, a finished one is refused."""
        if job.status is JobStatus.CANCELLED:
            return CancelOutcome(current=job, changed=False)
        if job.status.is_terminal:
            raise self._finished(job_id, job.status)
        with outages_of(STATE_STORE):
            current = self._states.request_cancel(job_id, now=now)
        if current is None:
            raise self._not_found(job_id)
        if current.status in (JobStatus.COMPLETED, JobStatus.FAILED):
            # It finished between the read and the cancel request.
            raise self._finished(job_id, current.status)
        wording = self._wording
        logger.info(
            f"{wording.activity} cancel requested",
            **{wording.id_field: str(job_id)},
            status=current.status,
        )
        return CancelOutcome(current=current, changed=True)

    def _not_found(self, job_id: uuid.UUID) -> Exception:
        return self._wording.not_found(f"{self._wording.noun} {job_id} not found")

    def _finished(self, job_id: uuid.UUID, status: JobStatus) -> Exception:
        noun = self._wording.noun
        return self._wording.finished(f"{noun} {job_id} is {status.value} and cannot be cancelled")
