"""What the app opens when it starts and closes when it stops."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Protocol

import anyio.to_thread
from litestar import Litestar


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
