"""What the app opens when it starts and closes when it stops."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Protocol

import anyio.to_thread
from litestar import Litestar

from conveyor_aws.clients import MAX_POOL_CONNECTIONS

# Threads running the blocking parts of requests (boto3, psycopg): each holds one while
# it waits on AWS or PostgreSQL, so there are as many as the AWS clients pool connections.
# The loop's default, os.cpu_count() + 4, let 6 requests wait on AWS at once on 2 cores.
HANDLER_THREADS = MAX_POOL_CONNECTIONS


class Resource(Protocol):
    """Something held open while the app runs (a connection pool, a probe's clients)."""

    def open(self) -> None: ...

    def close(self) -> None: ...


def lifespan_of(
    resources: Sequence[Resource],
) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """A lifespan opening `resources` in order, and closing those it opened in reverse."""

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        async with AsyncExitStack() as opened:
            for resource in resources:
                # Blocking calls (a pool, boto3 clients): off the event loop.
                await anyio.to_thread.run_sync(resource.open)
                opened.push_async_callback(anyio.to_thread.run_sync, resource.close)
            yield

    return lifespan


@asynccontextmanager
async def handler_threads(_: Litestar) -> AsyncIterator[None]:
    """The event loop's default executor, which Litestar runs blocking handlers in."""
    executor = ThreadPoolExecutor(max_workers=HANDLER_THREADS, thread_name_prefix="handler")
    asyncio.get_running_loop().set_default_executor(executor)
    try:
        yield
    finally:
        executor.shutdown(wait=False)
