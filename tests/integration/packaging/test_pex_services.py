"""The PEXes Pants packages (`pants package ::`) start against the emulator and
PostgreSQL as the images do: the producer answers /ready, each worker consumes and
passes its liveness check, and the processor's PEX runs the one-shot `migrate` command
(bootstrap, then the migrations) of docker-compose.yml.

Each PEX runs alone, without this repository's virtualenv: a module or package file
Pants did not put into it fails here. Without the PEXes these tests are skipped, unless
CONVEYOR_REQUIRE_PEX=1 (scripts/test, after scripts/pants-ci packaged them).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from conveyor_devstack.ports import LOOPBACK, free_port
from conveyor_devstack.services import WORKER_READY_MARK, ServiceProcess

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
# Where `pants package ::` puts each service's PEX: dist/<BUILD dir, dotted>/<name>.pex.
DIST = Path(os.environ.get("CONVEYOR_PEX_DIST", ROOT / "dist"))
# A venv PEX installs itself on its first start: slow on a busy 2-core machine.
FIRST_START_SECONDS = 180
COMMAND_TIMEOUT_SECONDS = 300


def pex(service: str) -> Path:
    path = DIST / f"services.{service}" / f"{service}.pex"
    if not path.is_file():
        missing = f"no {path}: run `.pants-bootstrap/pants package ::` first"
        if os.environ.get("CONVEYOR_REQUIRE_PEX") == "1":
            pytest.fail(missing)
        pytest.skip(missing)
    return path


def run_module(service: str, module: str, *args: str, env: dict[str, str]) -> str:
    """Another command of the service's image, run from its PEX as `python -m module`."""
    done = subprocess.run(
        [sys.executable, str(pex(service)), *args],
        env=env | {"PEX_MODULE": module},
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_SECONDS,
    )
    assert done.returncode == 0, f"{module} from {service}.pex failed:\n{done.stderr}"
    return done.stdout


def inherited_env() -> dict[str, str]:
    # PYTHONPATH or a virtualenv of this process must not stand in for what the PEX lacks.
    return {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}


@pytest.fixture
def service_env(aws: dict[str, str], migrated_database: str, tmp_path: Path) -> dict[str, str]:
    return inherited_env() | {
        "DATABASE_URL": migrated_database,
        "JWT_SECRET": "pex-test-secret-of-at-least-32-bytes",
        "SKIP_SES": "true",
        "LOG_JSON": "false",
        "METRICS_HOST": LOOPBACK,
        "EXPORT_TEMP_DIR": str(tmp_path / "exports"),
        # Where the processor's e-mailed links would lead; no test here follows one.
        "PUBLIC_API_URL": f"http://{LOOPBACK}:8000",
    }


# A clean stop on SIGTERM: the workers exit 0; uvicorn, once it has shut down gracefully,
# raises the signal it caught again. A process that would not stop is killed (-9).
CLEAN_EXITS = {0, -signal.SIGTERM}


@pytest.fixture
def started() -> Iterator[list[ServiceProcess]]:
    """The PEXes a test starts; each must stop cleanly on SIGTERM."""
    services: list[ServiceProcess] = []
    yield services
    codes = {service.name: service.stop() for service in services}
    assert {name: code for name, code in codes.items() if code not in CLEAN_EXITS} == {}


def start(service: str, env: dict[str, str], log_dir: Path) -> ServiceProcess:
    command = [sys.executable, str(pex(service))]
    return ServiceProcess(service, "", env=env, log_dir=log_dir, command=command).start()


def test_the_producer_pex_becomes_ready(
    service_env: dict[str, str], started: list[ServiceProcess], tmp_path: Path
) -> None:
    port = free_port()
    producer = start("producer", service_env | {"HOST": LOOPBACK, "PORT": str(port)}, tmp_path)
    started.append(producer)
    producer.wait_for_http(f"http://{LOOPBACK}:{port}/ready", timeout_seconds=FIRST_START_SECONDS)


@pytest.mark.parametrize("worker", ["processor", "notifier"])
def test_a_worker_pex_consumes_and_passes_its_liveness_check(
    worker: str, service_env: dict[str, str], started: list[ServiceProcess], tmp_path: Path
) -> None:
    env = service_env | {"LIVENESS_FILE": str(tmp_path / f"{worker}.alive")}
    env["METRICS_PORT"] = str(free_port())
    service = start(worker, env, tmp_path)
    started.append(service)
    service.wait_until(WORKER_READY_MARK, timeout_seconds=FIRST_START_SECONDS)
    # The image's health check, from the same PEX.
    run_module(worker, "conveyor_aws.broker.liveness", worker, env=env)


def test_the_processor_pex_writes_spreadsheets_with_lxml() -> None:
    # Nothing imports lxml: without it, openpyxl silently writes a cell's "\r" as "\n".
    env = inherited_env() | {"PEX_INTERPRETER": "1"}
    done = subprocess.run(
        [sys.executable, str(pex("processor")), "-c", "from openpyxl.xml import LXML; print(LXML)"],
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_SECONDS,
    )
    assert done.stdout.strip() == "True", done.stderr


def test_the_processor_pex_bootstraps_and_migrates_a_new_database(
    service_env: dict[str, str], database_url: str
) -> None:
    name = f"pex_{uuid.uuid4().hex}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = urlsplit(database_url)._replace(path=f"/{name}").geturl()
    env = service_env | {"DATABASE_URL": url}
    resources = run_module("processor", "conveyor_aws.bootstrap", env=env)
    run_module("processor", "conveyor_processor.migrate", env=env)
    assert "PROCESSOR_QUEUE=" in resources
    with psycopg.connect(url) as conn:
        tables = {row[0] for row in conn.execute("SELECT tablename FROM pg_tables")}
    assert {"orders", "export_jobs", "import_jobs", "alembic_version"} <= tables
