"""The sent-once ledger: one DynamoDB claim per event and template.

A claim is taken before sending and is never taken twice, so redelivered or
concurrently delivered events send at most one e-mail. The sent mark replaces the
claim's item whole, in a put batched with other workers' marks (one call for many
e-mails, where an update took one each): only the claim's holder writes it.
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

    def put(self, pk: str, sk: str, attributes: Mapping[str, Any]) -> None: ...

    def put_if_absent(self, pk: str, sk: str, attributes: Mapping[str, Any]) -> bool: ...

    def delete(self, pk: str, sk: str) -> None: ...


def ledger_key(event_id: uuid.UUID, template: str) -> tuple[str, str]:
    return f"EMAIL#{event_id}", template


class SentOnceLedger:
    def __init__(self, *, store: ClaimStore, clock: Clock = utc_now) -> None:
        self._store = store
        self._clock = clock

    def claim(self, event_id: uuid.UUID, template: str) -> str | None:
        """The claim's time if this caller may send; None if the e-mail was claimed before."""
        pk, sk = ledger_key(event_id, template)
        claimed_at = self._now()
        claimed = self._store.put_if_absent(pk, sk, {"status": SENDING, "claimed_at": claimed_at})
        return claimed_at if claimed else None

    def mark_sent(
        self, event_id: uuid.UUID, template: str, *, claimed_at: str, ses_message_id: str
    ) -> None:
        pk, sk = ledger_key(event_id, template)
        sent = {"status": SENT, "claimed_at": claimed_at, "sent_at": self._now()}
        self._store.put(pk, sk, sent | {"ses_message_id": ses_message_id})

    def release(self, event_id: uuid.UUID, template: str) -> None:
        """Give a claim back after a failed send, so a retry can send."""
        self._store.delete(*ledger_key(event_id, template))

    def _now(self) -> str:
        return self._clock().isoformat()
