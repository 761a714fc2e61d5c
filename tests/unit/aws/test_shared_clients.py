"""The shared clients: threads arriving together at a cold start get one client, built once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from conveyor_aws import clients

THREADS = 16


@pytest.fixture
def counted_builds(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Each build recorded instead of made: the test counts them."""
    built: list[str] = []

    def build(service: str, _: clients.ClientProfile) -> Any:
        # Slow, as botocore's is: the other threads reach the cache meanwhile.
        time.sleep(0.05)
        built.append(service)
        return object()

    monkeypatch.setattr(clients, "build", build)
    clients.reset()
    yield built
    clients.reset()


def test_threads_arriving_together_share_one_client_built_once(counted_builds: list[str]) -> None:
    # given threads that all ask for the DynamoDB client at once, before any is built
    gate = threading.Barrier(THREADS, timeout=10)

    def ask(_: int) -> Any:
        gate.wait()
        return clients.dynamodb()

    # when they all ask
    with ThreadPoolExecutor(THREADS) as pool:
        got = list(pool.map(ask, range(THREADS)))

    # then the client was built once, and every thread has that one
    assert counted_builds == ["dynamodb"]
    assert all(client is got[0] for client in got)


def test_reset_forgets_the_clients(counted_builds: list[str]) -> None:
    first = clients.sns()
    clients.reset()

    assert clients.sns() is not first
    assert counted_builds == ["sns", "sns"]
