"""Group commit: single writes from many threads or coroutines, sent to AWS in batch calls.

Each boto3 call costs the caller's CPU (serialising, signing, sending, parsing) and
the far end a request of its own, whatever it carries. A caller hands its item to
`GroupCommit.submit` (a thread) or `submit_async` (a coroutine, whose event loop goes
on meanwhile) and waits for its own outcome; sender threads take whatever is
waiting, up to a batch, and make one call for it. Nothing waits for a batch to
fill: an idle sender sends a lone item at once, so a quiet service pays only a
thread hand-off, and batches form by themselves while a call is out.

A caller's outcome is known before `submit` returns: the call that carried its item
succeeded or failed for it. Each batch call runs in the context of the caller whose
deadline (conveyor_aws.clients.deadline) ends last, so no caller's budget is cut
short by a hastier one; a caller whose time runs out before its item was sent
withdraws it and gets DeadlineExceeded, and one whose item is already on its way
waits for that call's outcome, bounded by the other caller's budget.
"""

from __future__ import annotations

import asyncio
import contextvars
import copy
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from conveyor_aws.clients import DeadlineExceeded, time_left

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")

# A sender thread with nothing to send for this long ends.
IDLE_SECONDS = 30.0

# What a batch call gives each item: its result, or the exception its caller raises.
Outcomes = Sequence["ResultT | BaseException"]


@dataclass
class _Waiting(Generic[ItemT, ResultT]):
    item: ItemT
    # Monotonic time at which the caller's deadline ends; None: no deadline.
    ends_at: float | None
    context: contextvars.Context = field(default_factory=contextvars.copy_context)
    outcome: Future[ResultT] = field(default_factory=Future)


def _end(waiting: _Waiting[ItemT, ResultT]) -> float:
    return float("inf") if waiting.ends_at is None else waiting.ends_at


def _own(outcome: BaseException) -> BaseException:
    """A copy for one caller: each raise adds its frames to the exception it raises."""
    try:
        return copy.copy(outcome)
    except Exception:  # an exception that cannot be copied is raised as it is
        return outcome


class GroupCommit(Generic[ItemT, ResultT]):
    """Coalesces `submit` calls into calls of `send`, at most `max_items` items each.

    `send` gets the items of one batch and returns one outcome per item, in order.
    `fits(batch, item)` says whether `item` may join the items already taken (a size
    limit, or a key already in the batch); it is not asked for an empty batch, which
    every item joins, and an item that does not fit waits for a later batch, ahead of
    items submitted after it.
    """

    def __init__(
        self,
        send: Callable[[list[ItemT]], Outcomes[ResultT]],
        *,
        operation: str,
        max_items: int,
        senders: int,
        fits: Callable[[list[ItemT], ItemT], bool] | None = None,
    ) -> None:
        self._send = send
        self._operation = operation
        self._max_items = max_items
        self._senders = senders
        self._fits = fits or (lambda _batch, _item: True)
        self._reset()
        _instances.add(self)

    def _reset(self) -> None:
        """No senders and nothing waiting: at start, and in a child after a fork (its
        parent's threads, lock holders and callers are not its own)."""
        self._ready = threading.Condition()
        self._waiting: deque[_Waiting[ItemT, ResultT]] = deque()
        # Sender threads alive, and those of them waiting for work.
        self._running = 0
        self._idle = 0

    def submit(self, item: ItemT) -> ResultT:
        """Send `item` in the next batch and return its result, or raise its failure."""
        waiting, budget = self._enqueue(item)
        try:
            return waiting.outcome.result(timeout=budget)
        except TimeoutError:
            self._withdraw(waiting)
            # Already on its way: its call's outcome decides, whatever the clock says.
            return waiting.outcome.result()

    async def submit_async(self, item: ItemT) -> ResultT:
        """`submit` for a coroutine: the event loop goes on while the item waits. A
        caller cancelled while its item waits withdraws it: nothing is sent for a
        request that was given up on."""
        waiting, budget = self._enqueue(item)
        outcome = asyncio.wrap_future(waiting.outcome)
        try:
            # Shielded: running out of time must not cancel an item already on its way.
            # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancellation.
            async with asyncio.timeout(budget):
                return await asyncio.shield(outcome)
        except TimeoutError:
            self._withdraw(waiting)
            return await outcome
        except asyncio.CancelledError:
            waiting.outcome.cancel()
            raise

    def _enqueue(self, item: ItemT) -> tuple[_Waiting[ItemT, ResultT], float | None]:
        """`item` waiting for a sender, and the caller's time left (None: no deadline)."""
        budget = time_left()
        ends_at = None if budget is None else time.monotonic() + budget
        waiting: _Waiting[ItemT, ResultT] = _Waiting(item, ends_at=ends_at)
        with self._ready:
            self._waiting.append(waiting)
            try:
                self._wake_a_sender()
            except RuntimeError:  # no thread could be started: nothing will send it
                self._waiting.remove(waiting)
                raise
        return waiting, budget

    def _withdraw(self, waiting: _Waiting[ItemT, ResultT]) -> None:
        """Its caller's time is up: raises if it was never sent (the sender that reaches
        it drops it); returns if a call already carries it."""
        if waiting.outcome.cancel():
            raise DeadlineExceeded(operation=self._operation) from None

    def _wake_a_sender(self) -> None:
        """An idle sender takes the new item; else a new one starts, up to `senders`,
        if none runs or a full batch waits (lock held). While senders keep up, items
        wait for the call in flight and go together in the next, rather than in more,
        smaller calls side by side; once a batch fills while waiting, the far end is
        the limit and another call in flight adds throughput."""
        backlog = len(self._waiting) >= self._max_items
        if self._idle == 0 and self._running < self._senders and (not self._running or backlog):
            threading.Thread(
                target=self._send_while_busy,
                name=f"{self._operation}-{self._running + 1}",
                daemon=True,
            ).start()
            self._running += 1
        else:
            self._ready.notify()

    def _send_while_busy(self) -> None:
        try:
            while (batch := self._next_batch()) is not None:
                if batch:
                    self._send_batch(batch)
        finally:
            with self._ready:
                self._running -= 1

    def _next_batch(self) -> list[_Waiting[ItemT, ResultT]] | None:
        """Up to `max_items` waiting items that fit together, oldest first (none if all
        were withdrawn); None once this sender has waited `IDLE_SECONDS` for work."""
        with self._ready:
            self._idle += 1
            while not self._waiting:
                if not self._ready.wait(IDLE_SECONDS) and not self._waiting:
                    # Idle for long: the thread ends; the next submit starts another.
                    self._idle -= 1
                    return None
            self._idle -= 1
            return self._take()

    def _take(self) -> list[_Waiting[ItemT, ResultT]]:
        batch: list[_Waiting[ItemT, ResultT]] = []
        items: list[ItemT] = []
        left: deque[_Waiting[ItemT, ResultT]] = deque()
        while self._waiting and len(batch) < self._max_items:
            waiting = self._waiting.popleft()
            if waiting.outcome.cancelled():
                continue
            if items and not self._fits(items, waiting.item):
                left.append(waiting)
            elif waiting.outcome.set_running_or_notify_cancel():
                batch.append(waiting)
                items.append(waiting.item)
        self._waiting.extendleft(reversed(left))
        return batch

    def _send_batch(self, batch: list[_Waiting[ItemT, ResultT]]) -> None:
        items = [waiting.item for waiting in batch]
        latest = max(batch, key=_end)
        try:
            outcomes = list(latest.context.run(self._send, items))
            if len(outcomes) != len(batch):
                raise RuntimeError(f"{self._operation}: {len(outcomes)} outcomes for {len(batch)}")
        except BaseException as exc:  # each caller raises it in its own thread
            outcomes = [exc] * len(batch)
            if not isinstance(exc, Exception):
                self._settle(batch, outcomes)
                raise
        self._settle(batch, outcomes)

    @staticmethod
    def _settle(
        batch: list[_Waiting[ItemT, ResultT]], outcomes: list[ResultT | BaseException]
    ) -> None:
        for waiting, outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                waiting.outcome.set_exception(_own(outcome))
            else:
                waiting.outcome.set_result(outcome)


# Every batcher of the process, reset in a child after a fork.
_instances: weakref.WeakSet[Any] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for instance in list(_instances):
        instance._reset()


os.register_at_fork(after_in_child=_after_fork_in_child)
