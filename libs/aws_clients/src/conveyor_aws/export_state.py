"""Export jobs' live state in DynamoDB: creation, claims with leases, progress, cancel.

Every change is a conditional write, so two workers (or a redelivered message)
can never both own a job, and a finished job never changes again.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import msgspec

from conveyor_aws.state_store import StateStore, from_wire, to_wire
from conveyor_common.exports.job import ExportJob
from conveyor_common.jobs import JobStatus

STATE_SK = "STATE"


def export_pk(export_id: uuid.UUID) -> str:
    return f"EXPORT#{export_id}"


def _to_item(job: ExportJob) -> dict[str, Any]:
    item: dict[str, Any] = msgspec.to_builtins(job)
    return {key: value for key, value in item.items() if value is not None}


def _from_item(item: Mapping[str, Any]) -> ExportJob:
    fields = {key: value for key, value in item.items() if key not in ("pk", "sk", "ttl")}
    return msgspec.convert(fields, ExportJob, strict=False)


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


class ExportStateStore:
    def __init__(self, store: StateStore) -> None:
        self._store = store

    def create(self, job: ExportJob) -> bool:
        """Record an accepted export; False if that id exists already."""
        attributes = _to_item(job) | {"ttl": _epoch(job.expires_at)}
        return self._store.put_if_absent(export_pk(job.export_id), STATE_SK, attributes)

    def get(self, export_id: uuid.UUID) -> ExportJob | None:
        item = self._store.get(export_pk(export_id), STATE_SK)
        return _from_item(item) if item else None

    def claim(
        self, export_id: uuid.UUID, *, owner: str, lease_seconds: int, now: datetime
    ) -> ExportJob | None:
        """Own a queued job, or one whose worker's lease ran out; None if not claimable."""
        return self._update(
            export_id,
            "SET #status = :processing, lease_owner = :owner, lease_expires_at = :until, "
            "attempts = if_not_exists(attempts, :zero) + :one, "
            "started_at = if_not_exists(started_at, :now)",
            "(#status = :queued AND (attribute_not_exists(cancel_requested) "
            "OR cancel_requested = :false)) "
            "OR (#status = :processing AND lease_expires_at < :epoch)",
            {
                ":processing": JobStatus.PROCESSING.value,
                ":queued": JobStatus.QUEUED.value,
                ":owner": owner,
                ":until": _epoch(now) + lease_seconds,
                ":epoch": _epoch(now),
                ":zero": 0,
                ":one": 1,
                ":false": False,
                ":now": now.isoformat(),
            },
        )

    def heartbeat(
        self,
        export_id: uuid.UUID,
        *,
        owner: str,
        lease_seconds: int,
        now: datetime,
        progress: Mapping[str, Any] | None = None,
    ) -> ExportJob | None:
        """Renew the lease (and record progress); None means the lease was lost."""
        updates = {"lease_expires_at": _epoch(now) + lease_seconds, **(progress or {})}
        assignments = ", ".join(f"#f{i} = :f{i}" for i in range(len(updates)))
        return self._update(
            export_id,
            f"SET {assignments}",
            "#status = :processing AND lease_owner = :owner",
            {
                ":processing": JobStatus.PROCESSING.value,
                ":owner": owner,
                **{f":f{i}": value for i, value in enumerate(updates.values())},
            },
            names={f"#f{i}": name for i, name in enumerate(updates)},
        )

    def release(
        self, export_id: uuid.UUID, *, owner: str, now: datetime, reason: str
    ) -> ExportJob | None:
        """Give an owned job back after a transient failure: its lease ends now and the
        claim is not counted as an attempt (a dependency failed, not the worker)."""
        return self._update(
            export_id,
            "SET lease_expires_at = :expired, attempts = attempts - :one, "
            "retrying_since = if_not_exists(retrying_since, :now), last_error = :reason",
            "#status = :processing AND lease_owner = :owner",
            {
                ":processing": JobStatus.PROCESSING.value,
                ":owner": owner,
                ":expired": _epoch(now) - 1,
                ":one": 1,
                ":now": now.isoformat(),
                ":reason": reason,
            },
        )

    def finish(
        self,
        export_id: uuid.UUID,
        *,
        owner: str,
        status: JobStatus,
        now: datetime,
        fields: Mapping[str, Any] | None = None,
    ) -> ExportJob | None:
        """Move an owned job to a terminal status; None if this worker no longer owns it."""
        updates = {"completed_at": now.isoformat(), **(fields or {})}
        assignments = ", ".join(f"#f{i} = :f{i}" for i in range(len(updates)))
        return self._update(
            export_id,
            f"SET #status = :target, {assignments} REMOVE lease_owner, lease_expires_at",
            "#status = :processing AND lease_owner = :owner",
            {
                ":processing": JobStatus.PROCESSING.value,
                ":owner": owner,
                ":target": status.value,
                **{f":f{i}": value for i, value in enumerate(updates.values())},
            },
            names={f"#f{i}": name for i, name in enumerate(updates)},
        )

    def request_cancel(self, export_id: uuid.UUID, *, now: datetime) -> ExportJob | None:
        """A queued job is cancelled at once; a running one is flagged for its worker.
        Returns the job as it now is (unchanged if it had finished), None if unknown."""
        cancelled = self._update(
            export_id,
            "SET #status = :cancelled, completed_at = :now",
            "#status = :queued",
            {
                ":cancelled": JobStatus.CANCELLED.value,
                ":queued": JobStatus.QUEUED.value,
                ":now": now.isoformat(),
            },
        )
        if cancelled is not None:
            return cancelled
        flagged = self._update(
            export_id,
            "SET cancel_requested = :true",
            "#status = :processing",
            {":true": True, ":processing": JobStatus.PROCESSING.value},
        )
        return flagged if flagged is not None else self.get(export_id)

    def _update(
        self,
        export_id: uuid.UUID,
        expression: str,
        condition: str,
        values: Mapping[str, Any],
        *,
        names: Mapping[str, str] | None = None,
    ) -> ExportJob | None:
        client = self._store.client
        try:
            response = client.update_item(
                TableName=self._store.table,
                Key=to_wire({"pk": export_pk(export_id), "sk": STATE_SK}),
                UpdateExpression=expression,
                ConditionExpression=f"attribute_exists(pk) AND ({condition})",
                ExpressionAttributeNames={"#status": "status", **(names or {})},
                ExpressionAttributeValues=to_wire(values),
                ReturnValues="ALL_NEW",
            )
        except client.exceptions.ConditionalCheckFailedException:
            return None
        return _from_item(from_wire(response["Attributes"]))
