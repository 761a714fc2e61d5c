"""A throwaway PostgreSQL cluster from the machine's binaries, on a loopback port.

The server refuses to run as root, so as root the cluster is owned by and run
as the `postgres` user.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from conveyor_devstack.lifecycle import Lifecycle
from conveyor_devstack.ports import LOOPBACK, free_port

DATABASE = "conveyor"
USER = "conveyor"
PG_SEARCH = (
    "/usr/lib/postgresql/*/bin",
    "/usr/local/pgsql/bin",
    "/opt/homebrew/opt/postgresql@*/bin",
)


def find_bin_dir() -> Path:
    explicit = os.environ.get("PG_BIN")
    if explicit:
        return Path(explicit)
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).resolve().parent
    candidates = sorted(
        (Path(p) for pattern in PG_SEARCH for p in glob.glob(pattern)),
        key=lambda p: p.parts,
        reverse=True,
    )
    for candidate in candidates:
        if (candidate / "pg_ctl").exists():
            return candidate
    raise FileNotFoundError("PostgreSQL server binaries not found: install them or set PG_BIN")


class TempPostgres(Lifecycle):
    def __init__(self, *, port: int | None = None) -> None:
        self.bin_dir = find_bin_dir()
        self.port = port or free_port()
        self._dir = Path(tempfile.mkdtemp(prefix="conveyor-pg-"))
        self.data_dir = self._dir / "data"
        self._as_postgres = os.geteuid() == 0

    @property
    def url(self) -> str:
        return f"postgresql://{USER}@{LOOPBACK}:{self.port}/{DATABASE}"

    def _run(self, *args: str, check: bool = True) -> None:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        # Own session: a Ctrl-C meant for the caller must not stop the server under it.
        result = subprocess.run(command, capture_output=True, text=True, start_new_session=True)
        if check and result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({result.returncode}): {result.stderr.strip()}")

    def _start(self) -> None:
        if self._as_postgres:
            shutil.chown(self._dir, user="postgres")
        self._run("initdb", "-D", str(self.data_dir), "-U", USER, "-A", "trust", "-E", "UTF8")
        self.start_server()
        self._run("createdb", "-h", LOOPBACK, "-p", str(self.port), "-U", USER, DATABASE)

    def start_server(self) -> None:
        """Start the server on the cluster's data and port (again, after `stop_server`)."""
        options = (
            f"-p {self.port} -c listen_addresses={LOOPBACK} -k {self._dir} "
            # The operating system never crashes under a throwaway cluster, so flushing
            # to disk buys nothing. Commits still wait for their WAL write: the fault
            # tests stop the server as a crash does, and a commit acknowledged before
            # its WAL left the server's memory (synchronous_commit=off) would be lost.
            "-c fsync=off -c full_page_writes=off"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data_dir),
            "-o",
            options,
            "-l",
            str(self._dir / "server.log"),
            "-w",
            "start",
        )

    def stop_server(self) -> None:
        """Stop the server as a crash or failover would (clients see their connections
        drop), keeping the cluster for `start_server`."""
        self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")

    def stop(self) -> None:
        try:
            if (self.data_dir / "postmaster.pid").exists():
                self._run(
                    "pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop", check=False
                )
        finally:
            shutil.rmtree(self._dir, ignore_errors=True)
