"""Deleting handled messages ten at a time, with one DeleteMessageBatch call.

A handled message is only marked for deletion; the marks leave when ten are
waiting, once the first of them has waited LINGER_SECONDS, and when the consumer
closes. Waiting lets the acks of a busy queue share a call: flushed before each
receive, they went out about two a call (bench/pipeline.py). A mark lost with its
process, like a delete that fails (for the whole batch or for one entry, logged
and nothing else), leaves its message to become visible again once its visibility
timeout lapses and be handled again, which the idempotent handlers allow: a lost
delete costs a redelivery, never a message.

dramatiq acks from its worker threads while the consumer thread receives, so
the marks are kept under a lock; the call itself is made outside it.
"""

from __future__ import annotations

import threading
from typing import Any

from conveyor_common.log import get_logger

# SQS's ceiling for the entries of one DeleteMessageBatch call.
MAX_BATCH = 10
# The longest a marked message waits for nine others: far inside any visibility timeout.
LINGER_SECONDS = 0.25

logger = get_logger(__name__)


class BatchedDeletes:
    def __init__(
        self, queue: Any, *, queue_name: str, linger_seconds: float = LINGER_SECONDS
    ) -> None:
        self.queue = queue
        self.queue_name = queue_name
        self.linger_seconds = linger_seconds
        self._pending: list[Any] = []
        self._closed = False
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def mark(self, sqs_message: Any) -> None:
        """Delete this message within `linger_seconds`; at once, with the nine before it,
        if it is the tenth, and at once if the consumer has closed."""
        with self._lock:
            self._pending.append(sqs_message)
            full = len(self._pending) >= MAX_BATCH
            batch = self._take() if full or self._closed else []
            if self._pending and self._timer is None:
                self._timer = threading.Timer(self.linger_seconds, self._linger_ended)
                self._timer.daemon = True
                self._timer.start()
        if batch:
            self._delete(batch)

    def close(self) -> None:
        """Delete every marked message now, and any marked from now on at once: dramatiq
        replaces a consumer whose receive failed, and the worker threads still ack
        through the closed one until the new one is in place."""
        with self._lock:
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        self.flush()

    def _linger_ended(self) -> None:
        with self._lock:
            self._timer = None
        self.flush()

    def flush(self) -> None:
        """Delete every message marked so far now; never raises. Those marked while these
        calls are out wait for their own linger: they would otherwise leave in a trickle
        of small calls behind these."""
        with self._lock:
            marked, self._pending = self._pending, []
        for start in range(0, len(marked), MAX_BATCH):
            self._delete(marked[start : start + MAX_BATCH])

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def _take(self) -> list[Any]:
        batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
        return batch

    def _delete(self, batch: list[Any]) -> None:
        entries = [
            {"Id": str(index), "ReceiptHandle": message.receipt_handle}
            for index, message in enumerate(batch)
        ]
        try:
            response = self.queue.delete_messages(Entries=entries)
        except Exception:
            # Raising would end the consumer thread (or a worker's ack) for no gain:
            # these messages come back after their visibility timeout either way.
            logger.warning(
                "could not delete handled messages; they will be redelivered",
                queue=self.queue_name,
                count=len(batch),
                exc_info=True,
            )
            return
        for failed in response.get("Failed", []):
            logger.warning(
                "could not delete a handled message; it will be redelivered",
                queue=self.queue_name,
                sqs_message_id=batch[int(failed["Id"])].message_id,
                code=failed.get("Code"),
                reason=failed.get("Message"),
            )
