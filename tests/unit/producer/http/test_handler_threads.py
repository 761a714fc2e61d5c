"""Blocking request work runs on HANDLER_THREADS threads, not the loop's few default ones;
accepting an order takes none."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from tests.unit.producer.conftest import FakePublisher, FakeStore, fake_adapters, order_body

from conveyor_producer.app import create_app
from conveyor_producer.http import lifespan
from conveyor_producer.http.lifespan import HANDLER_THREADS, handler_threads
from conveyor_producer.settings import ProducerSettings

ORDERS = "/api/v1/orders"
WAIT_SECONDS = 10


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


class HeldReads(FakeStore):
    """A state table whose reads wait until the test lets go, each holding its thread."""

    def __init__(self) -> None:
        super().__init__()
        self.reading = threading.Semaphore(0)
        self.release = threading.Event()

    def get(self, pk: str, sk: str) -> dict[str, Any] | None:
        self.reading.release()
        assert self.release.wait(WAIT_SECONDS)
        return super().get(pk, sk)


def test_an_order_is_accepted_while_every_handler_thread_is_held(
    settings: ProducerSettings, auth: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given an app with two handler threads, both held by reads that do not return
    monkeypatch.setattr(lifespan, "HANDLER_THREADS", 2)
    store = HeldReads()
    app = create_app(settings, fake_adapters(store=store, publisher=FakePublisher(store)))
    read = f"{ORDERS}/00000000-0000-4000-8000-000000000001"
    with TestClient(app) as client, ThreadPoolExecutor(2) as readers:
        held = [readers.submit(client.get, read, headers=auth) for _ in range(2)]
        for _ in held:
            assert store.reading.acquire(timeout=WAIT_SECONDS)

        # when an order is posted, then it is accepted on the event loop, needing no thread
        try:
            response = client.post(ORDERS, json=order_body(), headers=auth)
        finally:
            store.release.set()

        assert response.status_code == 202, response.text
        assert [future.result().status_code for future in held] == [404, 404]
