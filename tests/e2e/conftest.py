"""The whole stack for end-to-end tests: the three services as separate processes,
talking to PostgreSQL and moto server over the network."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from conveyor_devstack.postgres import TempPostgres
from conveyor_devstack.stack import Stack

T = TypeVar("T")
DEADLINE_SECONDS = 60.0


@pytest.fixture(scope="session")
def stack(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    log_dir = Path(tmp_path_factory.mktemp("service-logs"))
    with Stack(database_url=database_url, log_dir=log_dir) as running:
        yield running


@pytest.fixture(scope="session")
def aws_client(stack: Stack) -> Callable[[str], Any]:
    """A boto3 client for the stack's emulator, independent of this process's environment."""

    return stack.moto.client


def mint_token(stack: Stack, *, tenant: str, sub: str = "e2e-user", roles: str = "") -> str:
    command = [sys.executable, "-m", "conveyor_producer.token", "--sub", sub, "--tenant", tenant]
    if roles:
        command += ["--roles", roles]
    return subprocess.run(
        command, env=stack.env, check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture(scope="session")
def api(stack: Stack) -> Iterator[httpx.Client]:
    token = mint_token(stack, tenant="e2e-tenant")
    with httpx.Client(
        base_url=stack.producer_url, headers={"Authorization": f"Bearer {token}"}, timeout=15
    ) as client:
        yield client


def eventually(
    probe: Callable[[], T | None],
    *,
    what: str,
    seconds: float = DEADLINE_SECONDS,
    explain: Callable[[], str] | None = None,
) -> T:
    """Poll until probe returns a truthy value; fail naming what never happened,
    and with what `explain` finds then, so a failure in CI can be diagnosed."""
    deadline = time.monotonic() + seconds
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            details = f"\n{explain()}" if explain is not None else ""
            pytest.fail(f"timed out after {seconds:.0f} s waiting for {what}{details}")
        time.sleep(0.25)


def queue_depth(aws_client: Callable[[str], Any], queue: str) -> int:
    """Messages waiting or in flight on a queue."""
    counts = queue_counts(aws_client, queue, delayed=False)
    return sum(counts.values())


def queue_counts(
    aws_client: Callable[[str], Any], queue: str, *, delayed: bool = True
) -> dict[str, int]:
    """A queue's approximate counts by state: waiting, in flight and (if asked) delayed."""
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    if delayed:
        names.append("ApproximateNumberOfMessagesDelayed")
    sqs = aws_client("sqs")
    url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return {name: int(value) for name, value in attributes.items()}


def follow_email_link(stack: Stack, link: str) -> bytes:
    """What an e-mailed link downloads: it names the producer's GET /links/{token},
    which redirects (303) to a URL signed as it is followed."""
    assert link.startswith(f"{stack.producer_url}/links/"), link
    redirect = httpx.get(link, timeout=30)
    assert redirect.status_code == 303, redirect.text
    download = httpx.get(redirect.headers["location"], timeout=30)
    assert download.status_code == 200, download.text
    return download.content


def service_log_lines(stack: Stack, service: str, needles: Iterable[str], *, last: int) -> str:
    """The last `last` lines of a service's log that mention any of the needles."""
    wanted = tuple(needles)
    path = stack.log_dir / f"{service}.log"
    if not wanted or not path.exists():
        return ""
    with path.open(encoding="utf-8", errors="replace") as log:
        lines = [line.rstrip() for line in log if any(needle in line for needle in wanted)]
    return "\n".join(line[:600] for line in lines[-last:])


@pytest.fixture
def database_server(postgres: TempPostgres | None) -> TempPostgres:
    """The stack's PostgreSQL server, for tests that stop it."""
    if postgres is None:
        pytest.skip("the database is no local cluster of the tests (DATABASE_URL or a container)")
    return postgres


@contextmanager
def database_down(server: TempPostgres) -> Iterator[None]:
    """PostgreSQL stopped as a crash or failover stops it, then started again."""
    server.stop_server()
    try:
        yield
    finally:
        server.start_server()


@contextmanager
def aws_frozen(stack: Stack) -> Iterator[None]:
    """The AWS endpoint frozen (SIGSTOP): it accepts connections and never answers."""
    stack.moto.freeze()
    try:
        yield
    finally:
        stack.moto.thaw()
