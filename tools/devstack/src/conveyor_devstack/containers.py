"""PostgreSQL and the emulator from containers, for machines with a Docker engine.

Opt-in with CONVEYOR_TEST_CONTAINERS=1 (tests/conftest.py): the test fixtures then take
PostgreSQL from testcontainers' PostgresContainer and moto server from its image, and
export the same AWS_ENDPOINT_URL and DATABASE_URL as the local processes do. The local
processes stay the default, and CI uses them. testcontainers is a development
dependency of the workspace only, so it is imported when a container is started.

The moto image runs this package's moto_process.py (copied in), so the container
answers the sent-mail route (`GET /_aws/ses`) as the local moto server does.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from conveyor_devstack import moto_process
from conveyor_devstack.lifecycle import Lifecycle
from conveyor_devstack.moto_server import MotoServer
from conveyor_devstack.ports import wait_for_ok
from conveyor_devstack.postgres import DATABASE, USER

if TYPE_CHECKING:
    from testcontainers.community.postgres import PostgresContainer
    from testcontainers.core.container import DockerContainer

OPTION = "CONVEYOR_TEST_CONTAINERS"
# Pinned: the same server major as the deployment's RDS, and moto's own version (uv.lock).
POSTGRES_IMAGE = "postgres:15.10"
MOTO_IMAGE = "motoserver/moto:5.2.5"
MOTO_PORT = 5000
_MOTO_MAIN_IN_CONTAINER = "/conveyor/moto_process.py"
READY_TIMEOUT_SECONDS = 60.0


class Provider(StrEnum):
    PROCESSES = "processes"
    CONTAINERS = "containers"


class ContainersUnavailable(RuntimeError):
    """The option asks for containers, and no Docker engine answers."""


def provider(environ: Mapping[str, str]) -> Provider:
    """Containers when the option is set to a true value; the local processes otherwise."""
    wanted = environ.get(OPTION, "").strip().lower() in {"1", "true", "yes", "on"}
    return Provider.CONTAINERS if wanted else Provider.PROCESSES


class DatabaseSource(StrEnum):
    GIVEN = "given"  # DATABASE_URL: a server of the caller's, never stopped by a test
    PROCESS = "process"  # a throwaway local cluster (TempPostgres)
    CONTAINER = "container"  # a throwaway container (PostgresInContainer)


def database_source(environ: Mapping[str, str]) -> DatabaseSource:
    """Where the tests' PostgreSQL comes from: DATABASE_URL wins over the option."""
    if environ.get("DATABASE_URL"):
        return DatabaseSource.GIVEN
    if provider(environ) is Provider.CONTAINERS:
        return DatabaseSource.CONTAINER
    return DatabaseSource.PROCESS


def emulator(environ: Mapping[str, str]) -> MotoServer:
    """The emulator the option picks, not started yet."""
    if provider(environ) is Provider.CONTAINERS:
        return MotoContainer()
    return MotoServer()


def require_docker() -> None:
    """Fail at once, saying why, when no Docker engine answers (DOCKER_HOST or the
    default socket): testcontainers would otherwise fail deep inside a fixture."""
    from testcontainers.core.docker_client import DockerClient

    try:
        DockerClient().client.ping()
    except Exception as exc:
        where = os.environ.get("DOCKER_HOST", "the default Docker socket")
        raise ContainersUnavailable(
            f"{OPTION}=1 takes PostgreSQL and the emulator from containers, but no Docker "
            f"engine answers at {where} ({exc}). Start one, or unset {OPTION} to use the "
            "local processes."
        ) from exc


class PostgresInContainer(Lifecycle):
    """PostgreSQL in a container, with the database and user the local cluster has."""

    def __init__(self) -> None:
        self._container: PostgresContainer | None = None

    @property
    def url(self) -> str:
        if self._container is None:
            raise RuntimeError("the PostgreSQL container is not started")
        return self._container.get_connection_url(driver=None)

    def _start(self) -> None:
        require_docker()
        from testcontainers.community.postgres import PostgresContainer

        container = PostgresContainer(
            POSTGRES_IMAGE, username=USER, password=USER, dbname=DATABASE, driver=None
        )
        self._container = container
        container.start()

    def stop(self) -> None:
        if self._container is not None:
            self._container.stop()
            self._container = None


class MotoContainer(MotoServer):
    """moto server in a container: the same URL, env, clients and mailbox as the process."""

    def __init__(self) -> None:
        super().__init__(port=MOTO_PORT)
        self._container: DockerContainer | None = None
        self._url: str | None = None

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("the moto container is not started")
        return self._url

    def _start(self) -> None:
        require_docker()
        from testcontainers.core.container import DockerContainer

        container = (
            DockerContainer(MOTO_IMAGE)
            .with_exposed_ports(MOTO_PORT)
            .with_env("MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR", "false")
            .with_copy_into_container(Path(moto_process.__file__), _MOTO_MAIN_IN_CONTAINER)
            .with_kwargs(entrypoint=["python", _MOTO_MAIN_IN_CONTAINER])
            .with_command(["-H", "0.0.0.0", "-p", str(MOTO_PORT)])  # noqa: S104
        )
        self._container = container
        container.start()
        host = container.get_container_host_ip()
        self._url = f"http://{host}:{container.get_exposed_port(MOTO_PORT)}"
        wait_for_ok(
            f"{self._url}{moto_process.SENT_MAIL_PATH}", timeout_seconds=READY_TIMEOUT_SECONDS
        )

    def freeze(self) -> None:
        """Pause the container: connections stay open, nothing answers."""
        if self._container is not None:
            self._container.get_wrapped_container().pause()

    def thaw(self) -> None:
        if self._container is not None:
            self._container.get_wrapped_container().unpause()

    def stop(self) -> None:
        if self._container is not None:
            self.thaw()
            self._container.stop()
            self._container = None
            self._url = None
