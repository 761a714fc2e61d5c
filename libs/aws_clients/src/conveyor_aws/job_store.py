"""Long-running jobs' live state in DynamoDB: creation, claims with leases, progress,
outcome and cancel, for any kind of job.

Every change is a conditional write, so two workers (or a redelivered message)
can never both own a job, and a finished job never changes again. A job is the
item `{KIND}#{id}` / `STATE`; its attributes are the record's fields (None left
out) and `ttl`, the record's expiry, so DynamoDB removes it with its files.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Generic

import msgspec

from conveyor_aws.state_store import StateStore
from conveyor_aws.update_expression import UpdateExpression
from conveyor_common.jobs import J, JobKind, JobStatus, R

STATE_SK = "STATE"


def partition_key(kind: JobKind[Any, Any], job_id: uuid.UUID) -> str:
    """The partition of one job: its state, and anything else kept about it."""
    return f"{kind.key_prefix}#{job_id}"


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


class LeasedJobStore(Generic[J, R]):
    def __init__(self, store: StateStore, kind: JobKind[J, R]) -> None:
        self._store = store
        self._kind = kind

    def create(self, job: J) -> bool:
        """Record an accepted job; False if that id exists already."""
        attributes = self._to_item(job) | {"ttl": _epoch(job.expires_at)}
        return self._store.put_if_absent(self._pk(self._kind.id_of(job)), STATE_SK, attributes)

    def get(self, job_id: uuid.UUID) -> J | None:
        item = self._store.get(self._pk(job_id), STATE_SK)
        return self._from_item(item) if item else None

    def claim(
        self, job_id: uuid.UUID, *, owner: str, lease_seconds: int, now: datetime
    ) -> J | None:
        """Own a queued job, or one whose worker's lease ran out; None if not claimable."""
        update = UpdateExpression()
        status, expires = update.name("status"), update.name("lease_expires_at")
        cancel = update.name("cancel_requested")
        update.when(
            f"({status} = {update.value(JobStatus.QUEUED.value)} AND "
            f"(attribute_not_exists({cancel}) OR {cancel} = {update.value(False)})) OR "
            f"({status} = {update.value(JobStatus.PROCESSING.value)} "
            f"AND {expires} < {update.value(_epoch(now))})"
        )
        update.set("lease_owner", owner).set("lease_expires_at", _epoch(now) + lease_seconds)
        update.set_if_absent("started_at", now.isoformat()).add("attempts", 1)
        _set_status_last(update, JobStatus.PROCESSING)
        return self._update(job_id, update)

    def renew(
        self,
        job_id: uuid.UUID,
        *,
        owner: str,
        lease_seconds: int,
        now: datetime,
        progress_percentage: int | None = None,
    ) -> J | None:
        """Extend the lease (and record progress); None means the lease was lost."""
        update = _owned_by(owner).set("lease_expires_at", _epoch(now) + lease_seconds)
        if progress_percentage is not None:
            update.set("progress_percentage", progress_percentage)
        return self._update(job_id, update)

    def release(self, job_id: uuid.UUID, *, owner: str, now: datetime, reason: str) -> J | None:
        """Give an owned job back after a transient failure: its lease ends now and the
        claim is not counted as an attempt (a dependency failed, not the worker)."""
        update = _owned_by(owner).set("lease_expires_at", _epoch(now) - 1).add("attempts", -1)
        update.set_if_absent("retrying_since", now.isoformat()).set("last_error", reason)
        return self._update(job_id, update)

    def finish(
        self,
        job_id: uuid.UUID,
        *,
        owner: str,
        status: JobStatus,
        now: datetime,
        progress_percentage: int | None = None,
        error: str | None = None,
        result: R | None = None,
    ) -> J | None:
        """Move an owned job to a terminal status, with its error or its result; None if
        this worker no longer owns it."""
        if not status.is_terminal:
            raise ValueError(f"{status} is not a terminal status")
        changes: dict[str, Any] = {"progress_percentage": progress_percentage, "error": error}
        if result is not None:
            changes |= msgspec.to_builtins(result)
        update = _owned_by(owner)
        update.set_all({name: value for name, value in changes.items() if value is not None})
        update.set("completed_at", now.isoformat())
        _set_status_last(update, status)
        return self._update(job_id, update.remove("lease_owner", "lease_expires_at"))

    def request_cancel(self, job_id: uuid.UUID, *, now: datetime) -> J | None:
        """A queued job is cancelled at once; a running one is flagged for its worker.
        Returns the job as it now is (unchanged if it had finished), None if unknown."""
        cancel = _in_status(JobStatus.QUEUED).set("completed_at", now.isoformat())
        _set_status_last(cancel, JobStatus.CANCELLED)
        cancelled = self._update(job_id, cancel)
        if cancelled is not None:
            return cancelled
        flag = _in_status(JobStatus.PROCESSING).set("cancel_requested", True)
        flagged = self._update(job_id, flag)
        return flagged if flagged is not None else self.get(job_id)

    def _update(self, job_id: uuid.UUID, update: UpdateExpression) -> J | None:
        item = self._store.update_existing(self._pk(job_id), STATE_SK, update)
        return self._from_item(item) if item is not None else None

    def _pk(self, job_id: uuid.UUID) -> str:
        return partition_key(self._kind, job_id)

    def _to_item(self, job: J) -> dict[str, Any]:
        item: dict[str, Any] = msgspec.to_builtins(job)
        return {key: value for key, value in item.items() if value is not None}

    def _from_item(self, item: Mapping[str, Any]) -> J:
        fields = {key: value for key, value in item.items() if key not in ("pk", "sk", "ttl")}
        return msgspec.convert(fields, self._kind.record, strict=False)


def _set_status_last(update: UpdateExpression, status: JobStatus) -> None:
    """DynamoDB applies an update at once, but emulators (moto) apply its clauses one by
    one while answering reads on other threads: with the status set last, no reader
    sees a job COMPLETED before its result is there, or PROCESSING without its lease."""
    update.set("status", status.value)


def _in_status(status: JobStatus) -> UpdateExpression:
    update = UpdateExpression()
    return update.when(f"{update.name('status')} = {update.value(status.value)}")


def _owned_by(owner: str) -> UpdateExpression:
    """Only the lease's owner may change a running job."""
    update = UpdateExpression()
    return update.when(
        f"{update.name('status')} = {update.value(JobStatus.PROCESSING.value)} "
        f"AND {update.name('lease_owner')} = {update.value(owner)}"
    )
