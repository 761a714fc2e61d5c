"""The whole stack on one machine: moto server, PostgreSQL, bootstrap, migrations and
the three services as separate processes."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from conveyor_devstack.lifecycle import Lifecycle
from conveyor_devstack.moto_server import MotoServer
from conveyor_devstack.ports import LOOPBACK, free_port
from conveyor_devstack.postgres import TempPostgres
from conveyor_devstack.services import WORKER_READY_MARK, ServiceProcess

DEV_JWT_SECRET = "conveyor-dev-secret-change-me-in-production"  # noqa: S105
WORKERS = ("processor", "notifier")
# What starting the stack waits for, in order: moto server, PostgreSQL (or none: the
# given DATABASE_URL), the bootstrap, the migrations, then each service until it is ready.
STARTUP_STEPS = 4 + len(WORKERS) + 1


class Stack(Lifecycle):
    def __init__(
        self,
        *,
        database_url: str | None = None,
        producer_port: int | None = None,
        log_dir: Path | None = None,
        extra_env: dict[str, str] | None = None,
        on_started: Callable[[int], None] = lambda steps: None,
    ) -> None:
        """`on_started` hears how many of the STARTUP_STEPS are done, after each one."""
        self.database_url = database_url or os.environ.get("DATABASE_URL")
        self.producer_port = producer_port or free_port()
        # Each worker serves /metrics on a port of its own; the producer on its API port.
        self.metrics_ports = {worker: free_port() for worker in WORKERS}
        self.log_dir = log_dir or Path(tempfile.mkdtemp(prefix="conveyor-logs-"))
        self.extra_env = extra_env or {}
        self.moto = MotoServer()
        self.env: dict[str, str] = {}
        self.services: dict[str, ServiceProcess] = {}
        self._resources = ExitStack()
        self._on_started = on_started

    @property
    def producer_url(self) -> str:
        return f"http://{LOOPBACK}:{self.producer_port}"

    def metrics_url(self, service: str) -> str:
        if service == "producer":
            return f"{self.producer_url}/metrics"
        return f"http://{LOOPBACK}:{self.metrics_ports[service]}/metrics"

    def _start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._resources.enter_context(self.moto)
        self._on_started(1)
        if self.database_url is None:
            self.database_url = self._resources.enter_context(TempPostgres()).url
        self._on_started(2)
        self.env = {
            **os.environ,
            **self.moto.env,
            "DATABASE_URL": self.database_url,
            "JWT_SECRET": os.environ.get("JWT_SECRET", DEV_JWT_SECRET),
            "PORT": str(self.producer_port),
            "HOST": LOOPBACK,
            "METRICS_HOST": LOOPBACK,
            # Where the processor's e-mailed links lead: this stack's producer.
            "PUBLIC_API_URL": self.producer_url,
            **self.extra_env,
        }
        self.env |= self._bootstrap()
        self._on_started(3)
        subprocess.run(
            [sys.executable, "-m", "conveyor_processor.migrate"], env=self.env, check=True
        )
        self._on_started(4)
        for started, name in enumerate((*WORKERS, "producer"), start=5):
            self.start_service(name)
            self._on_started(started)

    def _bootstrap(self) -> dict[str, str]:
        output = subprocess.run(
            [sys.executable, "-m", "conveyor_aws.bootstrap"],
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return dict(line.split("=", 1) for line in output.splitlines() if "=" in line)

    def start_service(self, name: str, *, env: dict[str, str] | None = None) -> ServiceProcess:
        """Start (or restart) one service, with extra settings if given, and wait until ready."""
        own_env = {"METRICS_PORT": str(port)} if (port := self.metrics_ports.get(name)) else {}
        if name in WORKERS:
            # Beside the logs: the default, in the worker's temp directory, would read
            # as a file a job left behind, and would be shared by stacks on one machine.
            own_env["LIVENESS_FILE"] = str(self.log_dir / f"{name}.alive")
        service = ServiceProcess(
            name,
            f"conveyor_{name}",
            env=self.env | own_env | self.service_env(name) | (env or {}),
            log_dir=self.log_dir,
            command=self.service_command(name),
        )
        self.services[name] = service.start()
        if name == "producer":
            service.wait_for_http(f"{self.producer_url}/ready")
        else:
            service.wait_until(WORKER_READY_MARK)
        return service

    def service_env(self, name: str) -> dict[str, str]:
        """Settings of one service alone (a stack whose services have credentials of
        their own sets them here)."""
        return {}

    def service_command(self, name: str) -> list[str] | None:
        """The command that runs a service; None: `python -m conveyor_<name>`."""
        return None

    def stop(self) -> None:
        for service in reversed(list(self.services.values())):
            service.stop()
        self.services.clear()
        self._resources.close()
