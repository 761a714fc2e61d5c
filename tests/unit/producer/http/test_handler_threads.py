"""Blocking request work runs on HANDLER_THREADS threads, not the loop's few default ones."""

from __future__ import annotations

import asyncio
import threading

from litestar import Litestar

from conveyor_producer.http.lifespan import HANDLER_THREADS, handler_threads


def test_as_many_blocking_calls_as_handler_threads_run_at_once() -> None:
    # given calls that each wait until HANDLER_THREADS of them are running together
    # (the loop's default executor has at most 32 threads)
    together = threading.Barrier(HANDLER_THREADS, timeout=10)

    async def run() -> list[int]:
        async with handler_threads(Litestar()):
            loop = asyncio.get_running_loop()
            return await asyncio.gather(
                *(loop.run_in_executor(None, together.wait) for _ in range(HANDLER_THREADS))
            )

    # when they run on the app's executor, then none waits in vain
    assert sorted(asyncio.run(run())) == list(range(HANDLER_THREADS))
