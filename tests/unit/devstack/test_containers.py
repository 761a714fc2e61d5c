"""Which PostgreSQL and emulator the test fixtures take: the local processes unless
CONVEYOR_TEST_CONTAINERS asks for containers, and a clear error, soon, when it does and
no Docker engine answers."""

from __future__ import annotations

import time

import pytest

from conveyor_devstack.containers import (
    OPTION,
    ContainersUnavailable,
    DatabaseSource,
    MotoContainer,
    PostgresInContainer,
    Provider,
    database_source,
    emulator,
    provider,
    require_docker,
)
from conveyor_devstack.moto_server import MotoServer

# Nothing listens here, on any machine: the tests of the error never reach a real engine.
NO_ENGINE = "unix:///nonexistent/conveyor-tests/docker.sock"
# An answer, not a hang: the Docker client gives up on a missing socket within seconds.
ANSWER_SECONDS = 30.0


@pytest.mark.parametrize("value", ["1", "true", "YES", " on "])
def test_the_option_picks_containers(value: str) -> None:
    environ = {OPTION: value}
    assert provider(environ) is Provider.CONTAINERS
    assert type(emulator(environ)) is MotoContainer
    assert database_source(environ) is DatabaseSource.CONTAINER


@pytest.mark.parametrize("environ", [{}, {OPTION: ""}, {OPTION: "0"}, {OPTION: "false"}])
def test_without_the_option_the_local_processes_are_used(environ: dict[str, str]) -> None:
    assert provider(environ) is Provider.PROCESSES
    assert type(emulator(environ)) is MotoServer
    assert database_source(environ) is DatabaseSource.PROCESS


@pytest.mark.parametrize("option", ["", "1"])
def test_a_given_database_url_wins_over_both(option: str) -> None:
    environ = {OPTION: option, "DATABASE_URL": "postgresql://someone@db.example/orders"}
    assert database_source(environ) is DatabaseSource.GIVEN


@pytest.fixture
def no_docker_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", NO_ENGINE)


@pytest.mark.usefixtures("no_docker_engine")
def test_without_a_docker_engine_the_check_says_so_and_what_to_do() -> None:
    started = time.monotonic()
    with pytest.raises(ContainersUnavailable) as raised:
        require_docker()
    assert time.monotonic() - started < ANSWER_SECONDS
    message = str(raised.value)
    assert f"{OPTION}=1" in message
    assert NO_ENGINE in message
    assert f"unset {OPTION}" in message


@pytest.mark.usefixtures("no_docker_engine")
@pytest.mark.parametrize("container", [MotoContainer, PostgresInContainer])
def test_without_a_docker_engine_a_container_fails_to_start_at_once(
    container: type[MotoContainer | PostgresInContainer],
) -> None:
    started = time.monotonic()
    with pytest.raises(ContainersUnavailable):
        container().start()
    assert time.monotonic() - started < ANSWER_SECONDS


def test_a_container_not_started_has_no_url() -> None:
    with pytest.raises(RuntimeError):
        _ = MotoContainer().url
    with pytest.raises(RuntimeError):
        _ = PostgresInContainer().url
