"""Group commit: concurrent submits share batch calls, and each caller gets its own
item's outcome, within its own deadline."""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from conveyor_aws import group_commit
from conveyor_aws.clients import DeadlineExceeded, deadline
from conveyor_aws.group_commit import GroupCommit, Outcomes

WAIT_SECONDS = 10


class Refused(Exception):
    pass


class Calls:
    """A batch call that records its batches and can be held until the test lets go."""

    def __init__(self, answer: Callable[[int], str | BaseException] = str) -> None:
        self.batches: list[list[int]] = []
        self.entered = threading.Event()
        self.release = threading.Event()
        self.release.set()
        self._answer = answer

    def __call__(self, items: list[int]) -> Outcomes[str]:
        self.batches.append(list(items))
        self.entered.set()
        assert self.release.wait(WAIT_SECONDS)
        return [self._answer(item) for item in items]


def a_group(
    calls: Calls, *, senders: int = 1, max_items: int = 10, **kwargs: object
) -> GroupCommit[int, str]:
    return GroupCommit(calls, operation="Test", max_items=max_items, senders=senders, **kwargs)  # type: ignore[arg-type]


def submit_while_held(group: GroupCommit[int, str], calls: Calls, items: list[int]) -> list[str]:
    """Item 0 goes out alone and is held; `items` queue up meanwhile, then all are let go."""
    calls.release.clear()
    with ThreadPoolExecutor(len(items) + 1) as pool:
        first = pool.submit(group.submit, 0)
        assert calls.entered.wait(WAIT_SECONDS)
        rest = [pool.submit(group.submit, item) for item in items]
        wait_until(lambda: len(group._waiting) == len(items))
        calls.release.set()
        return [first.result(), *(future.result() for future in rest)]


def wait_until(condition: Callable[[], bool]) -> None:
    deadline_at = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline_at
        time.sleep(0.005)


class NamedCallers:
    """Callers that each set a context variable to their name; the batch calls record
    the name in the context they run in."""

    who: contextvars.ContextVar[str] = contextvars.ContextVar("who", default="nobody")

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.calls = Calls()
        self.commit: GroupCommit[int, str] = GroupCommit(
            self._send, operation="Test", max_items=10, senders=1
        )

    def _send(self, items: list[int]) -> Outcomes[str]:
        self.seen.append(self.who.get())
        return self.calls(items)

    def submit(self, name: str, seconds: float, item: int) -> str:
        self.who.set(name)
        with deadline(seconds):
            return self.commit.submit(item)


def test_a_lone_item_is_sent_at_once_and_gets_its_result() -> None:
    calls = Calls()

    assert a_group(calls).submit(7) == "7"
    assert calls.batches == [[7]]


def test_items_that_wait_meanwhile_share_the_next_call_up_to_the_batch_size() -> None:
    calls = Calls()
    group = a_group(calls, max_items=10)

    results = submit_while_held(group, calls, list(range(1, 15)))

    assert results == [str(n) for n in range(15)]
    assert calls.batches[0] == [0]
    assert [len(batch) for batch in calls.batches[1:]] == [10, 4]
    assert sorted(n for batch in calls.batches for n in batch) == list(range(15))


def test_an_item_that_does_not_fit_waits_for_a_later_batch_ahead_of_newer_ones() -> None:
    # given items whose "key" is their value mod 3: no two with one key in a batch
    calls = Calls()
    group = a_group(calls, fits=lambda batch, item: all(o % 3 != item % 3 for o in batch))

    submit_while_held(group, calls, [1, 4, 2, 7, 5])

    # then each batch holds distinct keys, and items of one key keep their order
    assert calls.batches[1:] == [[1, 2], [4, 5], [7]]


def test_each_caller_gets_its_own_items_failure_and_the_others_their_results() -> None:
    calls = Calls(answer=lambda n: Refused(n) if n % 2 else str(n))
    group = a_group(calls)

    calls.release.clear()
    with ThreadPoolExecutor(5) as pool:
        first = pool.submit(group.submit, 0)
        assert calls.entered.wait(WAIT_SECONDS)
        futures = {n: pool.submit(group.submit, n) for n in (1, 2, 3, 4)}
        wait_until(lambda: len(group._waiting) == 4)
        calls.release.set()
        assert first.result() == "0"
        assert futures[2].result() == "2"
        assert futures[4].result() == "4"
        for n in (1, 3):
            with pytest.raises(Refused):
                futures[n].result()
    assert calls.batches == [[0], [1, 2, 3, 4]]


def test_a_failed_call_fails_every_item_it_carried() -> None:
    def fail(items: list[int]) -> Outcomes[str]:
        raise Refused("the endpoint is down")

    group: GroupCommit[int, str] = GroupCommit(fail, operation="Test", max_items=10, senders=1)

    with pytest.raises(Refused, match="down"):
        group.submit(1)


def test_a_call_that_answers_for_the_wrong_number_of_items_fails_them_all() -> None:
    group: GroupCommit[int, str] = GroupCommit(
        lambda items: ["only one", "and two"], operation="Test", max_items=10, senders=1
    )

    with pytest.raises(RuntimeError, match="2 outcomes for 1"):
        group.submit(1)


def test_a_caller_out_of_time_withdraws_an_item_not_yet_sent() -> None:
    calls = Calls()
    group = a_group(calls)
    calls.release.clear()
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(group.submit, 0)
        assert calls.entered.wait(WAIT_SECONDS)

        # when a caller with 0.2 s left queues behind the held call
        with deadline(0.2), pytest.raises(DeadlineExceeded):
            group.submit(1)

        calls.release.set()
        assert first.result() == "0"
    # then its item was never sent
    time.sleep(0.1)
    assert calls.batches == [[0]]
    assert group.submit(2) == "2"
    assert calls.batches == [[0], [2]]


def test_a_caller_whose_item_is_on_its_way_waits_for_its_outcome_past_its_deadline() -> None:
    calls = Calls()
    group = a_group(calls)
    calls.release.clear()
    threading.Timer(0.5, calls.release.set).start()

    with deadline(0.1):
        assert group.submit(1) == "1"


def test_the_call_runs_in_the_context_of_the_caller_with_the_most_time_left() -> None:
    # given a context variable each caller sets, and callers with different deadlines
    callers = NamedCallers()
    calls, submit, seen = callers.calls, callers.submit, callers.seen
    released = calls.release
    released.clear()
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(submit, "first", 5, 0)
        assert calls.entered.wait(WAIT_SECONDS)
        hasty = pool.submit(submit, "hasty", 3, 1)
        patient = pool.submit(submit, "patient", 8, 2)
        wait_until(lambda: len(callers.commit._waiting) == 2)
        released.set()
        assert (first.result(), hasty.result(), patient.result()) == ("0", "1", "2")

    assert seen == ["first", "patient"]


def test_another_sender_starts_only_once_a_full_batch_waits() -> None:
    calls = Calls()
    group = a_group(calls, senders=3, max_items=2)
    calls.release.clear()
    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(group.submit, 0)]
        wait_until(lambda: calls.batches == [[0]])

        # when one item waits behind the held call, no second call starts
        futures.append(pool.submit(group.submit, 1))
        wait_until(lambda: len(group._waiting) == 1)
        assert group._running == 1

        # and when a full batch waits, a second sender sends it beside the first
        futures.append(pool.submit(group.submit, 2))
        wait_until(lambda: len(calls.batches) == 2)
        assert group._running == 2
        assert calls.batches == [[0], [1, 2]]
        calls.release.set()
        assert [future.result() for future in futures] == ["0", "1", "2"]


def test_an_idle_sender_ends_and_the_next_item_starts_another(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(group_commit, "IDLE_SECONDS", 0.05)
    calls = Calls()
    group = a_group(calls)

    assert group.submit(1) == "1"
    wait_until(lambda: group._running == 0)

    assert group.submit(2) == "2"
    assert calls.batches == [[1], [2]]


def test_an_item_that_fits_no_batch_is_sent_alone_and_never_stalls_the_sender() -> None:
    # given a size rule no two items pass, and one item too big to fit even alone
    calls = Calls()
    group = a_group(calls, fits=lambda batch, item: False)

    results = submit_while_held(group, calls, [1, 2, 3])

    assert results == ["0", "1", "2", "3"]
    assert calls.batches == [[0], [1], [2], [3]]


def test_the_call_runs_under_the_deadline_that_ends_last_not_the_largest_budget() -> None:
    # given a caller with 2 s queued first, and one with 1.5 s queued 1 s later
    callers = NamedCallers()
    calls, submit, seen = callers.calls, callers.submit, callers.seen
    calls.release.clear()
    with ThreadPoolExecutor(3) as pool:
        first = pool.submit(submit, "first", 9, 0)
        assert calls.entered.wait(WAIT_SECONDS)
        early = pool.submit(submit, "early", 2, 1)
        time.sleep(1)
        late = pool.submit(submit, "late", 1.5, 2)
        wait_until(lambda: len(callers.commit._waiting) == 2)
        calls.release.set()
        assert (first.result(), early.result(), late.result()) == ("0", "1", "2")

    # then the batch ran in the context of the one whose deadline ends later
    assert seen == ["first", "late"]


def test_each_caller_raises_its_own_copy_of_a_shared_failure() -> None:
    def fail(items: list[int]) -> Outcomes[str]:
        raise Refused("down")

    group: GroupCommit[int, str] = GroupCommit(fail, operation="Test", max_items=10, senders=1)
    raised: list[BaseException] = []

    def submit(item: int) -> None:
        try:
            group.submit(item)
        except Refused as exc:
            raised.append(exc)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(submit, range(4)))

    assert len(raised) == 4
    assert len({id(exc) for exc in raised}) == 4
    assert all(str(exc) == "down" for exc in raised)


def test_a_sender_that_cannot_start_fails_the_call_and_leaves_nothing_waiting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    group = a_group(Calls())

    def refuse(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    with pytest.raises(RuntimeError, match="can't start"):
        group.submit(1)
    monkeypatch.undo()

    assert not group._waiting
    assert group._running == 0
    assert group.submit(2) == "2"
