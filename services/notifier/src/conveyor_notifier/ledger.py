"""The sent-once ledger: one DynamoDB claim per event and template.

A claim is taken before sending and is never taken twice, so redelivered or
concurrently delivered events send at most one e-mail.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Protocol

from conveyor_common.clock import Clock, utc_now

SENDING = "SENDING"
SENT = "SENT"


class ClaimStore(Protocol):
    """The part of conveyor_aws.state_store.StateStore the ledger uses."""

    def put_if_absent(self, pk: str, sk: str, attributes: Mapping[str, Any]) -> bool: ...

    def update(self, pk: str, sk: str, attributes: Mapping[str, Any]) -> None: ...

    def delete(self, pk: str, sk: str) -> None: ...


def ledger_key(event_id: uuid.UUID, template: str) -> tuple[str, str]:
    return f"EMAIL#{event_id}", template


class SentOnceLedger:
    def __init__(self, *, store: ClaimStore, clock: Clock = utc_now) -> None:
        self._store = store
        self._clock = clock

    def claim(self, event_id: uuid.UUID, template: str) -> bool:
        """True if this caller may send; False if the e-mail was claimed before."""
        pk, sk = ledger_key(event_id, template)
        return self._store.put_if_absent(pk, sk, {"status": SENDING, "claimed_at": self._now()})

    def mark_sent(self, event_id: uuid.UUID, template: str, *, ses_message_id: str) -> None:
        pk, sk = ledger_key(event_id, template)
        self._store.update(
            pk, sk, {"status": SENT, "ses_message_id": ses_message_id, "sent_at": self._now()}
        )

    def release(self, event_id: uuid.UUID, template: str) -> None:
        """Give a claim back after a failed send, so a retry can send."""
        self._store.delete(*ledger_key(event_id, template))

    def _now(self) -> str:
        return self._clock().isoformat()
