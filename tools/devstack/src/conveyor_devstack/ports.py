"""Loopback ports for throwaway servers, and waiting until they answer."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import httpx

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, *, timeout_seconds: float, host: str = LOOPBACK) -> None:
    deadline = time.monotonic() + timeout_seconds
    while True:
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listens on {host}:{port}") from None
            time.sleep(0.1)


def wait_for_ok(
    url: str, *, timeout_seconds: float, alive: Callable[[], None] = lambda: None
) -> None:
    """Until a GET of `url` answers 200; `alive` raises when waiting longer is pointless
    (the process that should answer died)."""
    deadline = time.monotonic() + timeout_seconds
    while True:
        alive()
        try:
            if httpx.get(url, timeout=2).status_code == httpx.codes.OK:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not answer 200 within {timeout_seconds:.0f} s")
        time.sleep(0.2)
