"""Outcome events on SNS, each remembered in DynamoDB once it went out.

The mark lets a redelivered request finish an announcement a crash cut short
without publishing a second copy; the notifier also drops repeated event ids.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from conveyor_aws.export_state import export_pk
from conveyor_aws.publisher import EventPublisher
from conveyor_aws.state_store import StateStore
from conveyor_common.envelope import Envelope


def announcement_sk(event_id: uuid.UUID) -> str:
    return f"EVENT#{event_id}"


class SnsAnnouncer:
    def __init__(self, *, publisher: EventPublisher, store: StateStore) -> None:
        self._publisher = publisher
        self._store = store

    def announced(self, export_id: uuid.UUID, event_id: uuid.UUID) -> bool:
        return self._store.get(export_pk(export_id), announcement_sk(event_id)) is not None

    def announce(self, export_id: uuid.UUID, envelope: Envelope, *, expires_at: datetime) -> None:
        message_id = self._publisher.publish(envelope)
        self._store.put(
            export_pk(export_id),
            announcement_sk(envelope.event_id),
            {
                "event_type": envelope.event_type,
                "sns_message_id": message_id,
                # Gone with the export record.
                "ttl": int(expires_at.timestamp()),
            },
        )
