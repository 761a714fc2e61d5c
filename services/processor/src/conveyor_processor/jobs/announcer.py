"""Outcome events: one fixed id per job and outcome, published on SNS and remembered in
DynamoDB once they went out.

The mark lets a redelivered request finish an announcement a crash cut short
without publishing a second copy; the notifier also drops repeated event ids.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from conveyor_aws.job_store import partition_key
from conveyor_aws.publisher import EventPublisher
from conveyor_aws.state_store import StateStore
from conveyor_common.envelope import Envelope
from conveyor_common.jobs import JobKind, JobStatus


def outcome_event_id(job_id: uuid.UUID, status: JobStatus) -> uuid.UUID:
    """The same id for every publication of an outcome, so the notifier sends it once."""
    return uuid.uuid5(job_id, status.value.lower())


def announcement_sk(event_id: uuid.UUID) -> str:
    return f"EVENT#{event_id}"


class SnsAnnouncer:
    """Publishes one kind's outcome events; each mark lives beside the job's state."""

    def __init__(
        self, *, publisher: EventPublisher, store: StateStore, kind: JobKind[Any, Any]
    ) -> None:
        self._publisher = publisher
        self._store = store
        self._kind = kind

    def announced(self, job_id: uuid.UUID, event_id: uuid.UUID) -> bool:
        return self._store.get(self._pk(job_id), announcement_sk(event_id)) is not None

    def announce(self, job_id: uuid.UUID, envelope: Envelope, *, expires_at: datetime) -> None:
        message_id = self._publisher.publish(envelope)
        self._store.put(
            self._pk(job_id),
            announcement_sk(envelope.event_id),
            {
                "event_type": envelope.event_type,
                "sns_message_id": message_id,
                # Gone with the job's record.
                "ttl": int(expires_at.timestamp()),
            },
        )

    def _pk(self, job_id: uuid.UUID) -> str:
        return partition_key(self._kind, job_id)
