"""The three Conveyor services, each started as its own process."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from conveyor_devstack.ports import wait_for_ok

# Log line each worker prints once it consumes (conveyor_aws.broker.worker.run_worker).
WORKER_READY_MARK = "worker started"
START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 60


class ServiceProcess:
    def __init__(
        self,
        name: str,
        module: str,
        *,
        env: dict[str, str],
        log_dir: Path,
        command: Sequence[str] | None = None,
    ) -> None:
        """Runs `python -m module`, or command (e.g. a packaged service) when given."""
        self.name = name
        self.command = list(command) if command else [sys.executable, "-m", module]
        self.env = env
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._log_offset = 0

    def start(self) -> ServiceProcess:
        # A restarted service appends; only this run's lines count as its log.
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.command,
            env=self.env,
            stdout=log,
            stderr=log,
            # Own session: the stack stops its services in order, not all at once on Ctrl-C.
            start_new_session=True,
        )
        log.close()
        return self

    def log(self) -> str:
        if not self.log_path.exists():
            return ""
        with self.log_path.open("rb") as log:
            log.seek(self._log_offset)
            return log.read().decode(errors="replace")

    def wait_until(self, ready: str, *, timeout_seconds: float = START_TIMEOUT_SECONDS) -> None:
        """Wait for a log line, failing fast with the log if the process died."""
        deadline = time.monotonic() + timeout_seconds
        while ready not in self.log():
            self._check_alive()
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} not ready in {timeout_seconds}s:\n{self.log()}")
            time.sleep(0.1)

    def wait_for_http(self, url: str, *, timeout_seconds: float = START_TIMEOUT_SECONDS) -> None:
        try:
            wait_for_ok(url, timeout_seconds=timeout_seconds, alive=self._check_alive)
        except TimeoutError as exc:
            raise TimeoutError(f"{self.name} not ready at {url}:\n{self.log()}") from exc

    def _check_alive(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log()}")

    def signal(self, signum: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signum)

    def stop(self, *, timeout_seconds: float = STOP_TIMEOUT_SECONDS) -> int | None:
        """SIGTERM, then wait; a process that will not stop is killed."""
        if self.process is None:
            return None
        self.signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=timeout_seconds)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self.process = None
        return code
