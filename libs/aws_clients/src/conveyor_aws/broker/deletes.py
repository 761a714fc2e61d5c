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
the marks are kept under a lock; the calls are made outside it, by the tenth
mark's thread, the consumer's flusher thread, or the closing thread.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from conveyor_aws import tracing
from conveyor_common.log import get_logger

# SQS's ceiling for the entries of one DeleteMessageBatch call.
MAX_BATCH = 10
# The longest a marked message waits for nine others: far inside any visibility timeout.
LINGER_SECONDS = 0.25
# The longest closing waits for a delete call the flusher has out (a client's attempts
# end sooner); its messages come back if the process ends first.
CLOSE_WAIT_SECONDS = 30.0

logger = get_logger(__name__)


class BatchedDeletes:
    def __init__(
        self, queue: Any, *, queue_name: str, linger_seconds: float = LINGER_SECONDS
    ) -> None:
        self.queue = queue
        self.queue_name = queue_name
        self.linger_seconds = linger_seconds
        self._pending: list[Any] = []
        # Monotonic time by which what is pending leaves; None while nothing is.
        self._due: float | None = None
        self._closed = False
        self._sending = False
        self._changed = threading.Condition()
        # One per consumer, started by its first mark: a thread per linger would pile up
        # behind deletes that are slow to answer.
        self._flusher: threading.Thread | None = None

    def mark(self, sqs_message: Any) -> None:
        """Delete this message within `linger_seconds`; at once, with the nine before it,
        if it is the tenth, and at once if the consumer has closed."""
        with self._changed:
            self._pending.append(sqs_message)
            if self._closed or len(self._pending) >= MAX_BATCH:
                batch = self._take()
            else:
                batch = []
                if self._due is None:
                    self._due = time.monotonic() + self.linger_seconds
                self._start_flusher()
                self._changed.notify()
        if batch:
            self._delete(batch)

    def close(self) -> None:
        """Wait for a delete call the flusher has out, delete every marked message now, and
        any marked from now on at once: dramatiq replaces a consumer whose receive failed,
        and the worker threads still ack through the closed one until the new one is in
        place."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
            self._changed.wait_for(lambda: not self._sending, timeout=CLOSE_WAIT_SECONDS)
        self.flush()

    def _start_flusher(self) -> None:
        if self._flusher is None:
            self._flusher = threading.Thread(
                target=self._flush_when_due, name=f"deletes-{self.queue_name}", daemon=True
            )
            self._flusher.start()

    def _flush_when_due(self) -> None:
        while True:
            with self._changed:
                while not self._closed and (self._due is None or self._due > time.monotonic()):
                    left = None if self._due is None else self._due - time.monotonic()
                    self._changed.wait(left)
                if self._closed:
                    return
                marked, self._pending, self._due = self._pending, [], None
                self._sending = True
            try:
                # A batch serves many messages' traces: it starts no trace of its own.
                with tracing.untraced():
                    self._delete_all(marked)
            finally:
                with self._changed:
                    self._sending = False
                    self._changed.notify_all()

    def flush(self) -> None:
        """Delete every message marked so far now; never raises."""
        with self._changed:
            marked, self._pending, self._due = self._pending, [], None
        self._delete_all(marked)

    def _delete_all(self, marked: list[Any]) -> None:
        for start in range(0, len(marked), MAX_BATCH):
            self._delete(marked[start : start + MAX_BATCH])

    def pending(self) -> int:
        with self._changed:
            return len(self._pending)

    def _take(self) -> list[Any]:
        batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
        if not self._pending:
            self._due = None
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
