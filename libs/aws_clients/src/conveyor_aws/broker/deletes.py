"""Deleting handled messages ten at a time, with one DeleteMessageBatch call.

A handled message is only marked for deletion; the consumer flushes the marks
when ten are waiting, before each of its passes (so none waits behind a long
poll that has not started yet) and when it closes. A delete that fails, for the
whole batch or for one entry, is logged and nothing else: the message becomes
visible again once its visibility timeout lapses and is handled again, which
the idempotent handlers allow. A lost delete costs a redelivery, never a message.

dramatiq acks from its worker threads while the consumer thread receives, so
the marks are kept under a lock; the call itself is made outside it.
"""

from __future__ import annotations

import threading
from typing import Any

from conveyor_common.log import get_logger

# SQS's ceiling for the entries of one DeleteMessageBatch call.
MAX_BATCH = 10

logger = get_logger(__name__)


class BatchedDeletes:
    def __init__(self, queue: Any, *, queue_name: str) -> None:
        self.queue = queue
        self.queue_name = queue_name
        self._pending: list[Any] = []
        self._closed = False
        self._lock = threading.Lock()

    def mark(self, sqs_message: Any) -> None:
        """Delete this message soon; at once, with the nine before it, if it is the tenth,
        and at once if the consumer has closed (nothing would flush it then)."""
        with self._lock:
            self._pending.append(sqs_message)
            full = len(self._pending) >= MAX_BATCH
            batch = self._take() if full or self._closed else []
        if batch:
            self._delete(batch)

    def close(self) -> None:
        """Delete every marked message now, and any marked from now on at once: dramatiq
        replaces a consumer whose receive failed, and the worker threads still ack
        through the closed one until the new one is in place."""
        with self._lock:
            self._closed = True
        self.flush()

    def flush(self) -> None:
        """Delete every marked message now; never raises."""
        while True:
            with self._lock:
                batch = self._take()
            if not batch:
                return
            self._delete(batch)

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
