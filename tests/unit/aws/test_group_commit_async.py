"""Group commit from coroutines: items share batch calls with each other and with
threads, the event loop runs on while they wait, and deadlines hold as for threads."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable

import pytest
from tests.unit.aws.test_group_commit import WAIT_SECONDS, Calls, a_group, wait_until

from conveyor_aws.clients import DeadlineExceeded, deadline
from conveyor_aws.group_commit import GroupCommit


async def in_thread_entered(calls: Calls) -> None:
    assert await asyncio.to_thread(calls.entered.wait, WAIT_SECONDS)


def test_a_lone_item_is_sent_at_once_and_gets_its_result() -> None:
    calls = Calls()

    assert asyncio.run(a_group(calls).submit_async(7)) == "7"
    assert calls.batches == [[7]]


def test_coroutines_waiting_meanwhile_share_the_next_call_and_the_loop_runs_on() -> None:
    calls = Calls()
    group = a_group(calls, max_items=10)
    calls.release.clear()
    ticks: list[int] = []

    async def scenario() -> list[str]:
        first = asyncio.create_task(group.submit_async(0))
        await in_thread_entered(calls)
        rest = [asyncio.create_task(group.submit_async(n)) for n in range(1, 6)]
        # while every item waits on the held call, the loop still runs other work
        while len(group._waiting) < 5:
            ticks.append(len(ticks))
            await asyncio.sleep(0.001)
        calls.release.set()
        return [await first, *[await task for task in rest]]

    assert asyncio.run(scenario()) == [str(n) for n in range(6)]
    assert calls.batches == [[0], [1, 2, 3, 4, 5]]
    assert ticks


def test_a_coroutines_item_joins_a_threads_batch() -> None:
    calls = Calls()
    group = a_group(calls)
    calls.release.clear()
    results: list[str] = []
    held = threading.Thread(target=lambda: results.append(group.submit(0)))
    held.start()
    assert calls.entered.wait(WAIT_SECONDS)
    waiting = threading.Thread(target=lambda: results.append(group.submit(1)))
    waiting.start()
    wait_until(lambda: len(group._waiting) == 1)

    async def scenario() -> str:
        task = asyncio.create_task(group.submit_async(2))
        await asyncio.to_thread(wait_until, lambda: len(group._waiting) == 2)
        calls.release.set()
        return await task

    assert asyncio.run(scenario()) == "2"
    held.join(WAIT_SECONDS)
    waiting.join(WAIT_SECONDS)
    assert calls.batches == [[0], [1, 2]]


def test_each_coroutine_raises_its_own_items_failure() -> None:
    class Refused(Exception):
        pass

    calls = Calls(answer=lambda n: Refused(n) if n % 2 else str(n))
    group = a_group(calls)

    async def scenario() -> list[str | BaseException]:
        submits = (group.submit_async(n) for n in range(4))
        return await asyncio.gather(*submits, return_exceptions=True)

    outcomes = asyncio.run(scenario())

    assert [type(o).__name__ if isinstance(o, BaseException) else o for o in outcomes] == [
        "0",
        "Refused",
        "2",
        "Refused",
    ]


async def run_out_of_time(group: GroupCommit[int, str]) -> None:
    with deadline(0.2), pytest.raises(DeadlineExceeded):
        await group.submit_async(1)


async def cancel(group: GroupCommit[int, str]) -> None:
    given_up = asyncio.create_task(group.submit_async(1))
    await asyncio.to_thread(wait_until, lambda: len(group._waiting) == 1)
    given_up.cancel()
    with pytest.raises(asyncio.CancelledError):
        await given_up


@pytest.mark.parametrize("give_up", [run_out_of_time, cancel])
def test_a_coroutine_that_gives_up_withdraws_its_item_not_yet_sent(
    give_up: Callable[[GroupCommit[int, str]], Awaitable[None]],
) -> None:
    # given a call held while item 1 waits behind it
    calls = Calls()
    group = a_group(calls)
    calls.release.clear()

    async def scenario() -> None:
        first = asyncio.create_task(group.submit_async(0))
        await in_thread_entered(calls)
        # when its caller runs out of time, or is cancelled
        await give_up(group)
        calls.release.set()
        assert await first == "0"

    asyncio.run(scenario())
    assert group.submit(2) == "2"
    # then the withdrawn item was never sent
    assert calls.batches == [[0], [2]]


def test_a_coroutine_whose_item_is_on_its_way_waits_for_its_outcome_past_its_deadline() -> None:
    calls = Calls()
    group: GroupCommit[int, str] = a_group(calls)
    calls.release.clear()
    threading.Timer(0.5, calls.release.set).start()

    async def scenario() -> str:
        with deadline(0.1):
            return await group.submit_async(1)

    assert asyncio.run(scenario()) == "1"
