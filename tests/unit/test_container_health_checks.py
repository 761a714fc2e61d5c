"""The containers' address and health checks, as docker-compose.yml and the ECS services
(infra/terraform/envs/aws/services.tf, through modules/service) declare them.

The producer listens on all interfaces there and is checked over HTTP on /health; each
worker is checked by its liveness record (conveyor_aws.broker.liveness). Both files
declare the same commands.
"""

from __future__ import annotations

import http.server
import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
TERRAFORM = ROOT / "infra" / "terraform"
SERVICES_TF = TERRAFORM / "envs" / "aws" / "services.tf"
SERVICE_MODULE_TASK_TF = TERRAFORM / "modules" / "service" / "task.tf"
WORKERS = ("processor", "notifier")
COMPOSE_PORT = "8000"
TF_PORT = "${local.producer_port}"
CHECK_TIMEOUT_SECONDS = 30


def compose_service(name: str) -> dict[str, Any]:
    services: dict[str, dict[str, Any]] = yaml.safe_load(COMPOSE.read_text())["services"]
    return services[name]


def tf_container(name: str) -> str:
    """The HCL of one service's entry in `local.services`, up to its container sizes."""
    text = SERVICES_TF.read_text()
    found = re.search(rf"\n    {name} = \{{\n(.*?)\n\s+cpu\s+=", text, re.DOTALL)
    assert found is not None, f"no service {name!r} in {SERVICES_TF}"
    return found.group(1)


def tf_producer_health_command() -> list[str]:
    found = re.search(
        r"health_check = \{\s*(?:#[^\n]*\s*)*command\s*=\s*(\[[^\n]*\])\n", tf_container("producer")
    )
    assert found is not None
    command: list[str] = json.loads(found.group(1))
    return command


def tf_worker_health_commands() -> dict[str, list[str]]:
    """The command of `local.worker_health_check`, for each service it is made for."""
    for_each_service = r"worker_health_check = \{\s*for svc in (\[[^\]]*\]) : svc => \{"
    found = re.search(rf"{for_each_service}\s*command\s*=\s*\[([^\]]*)\]", SERVICES_TF.read_text())
    assert found is not None
    services: list[str] = json.loads(found.group(1))
    items = [item.strip() for item in found.group(2).split(",")]
    return {svc: [svc if item == "svc" else json.loads(item) for item in items] for svc in services}


def test_compose_runs_the_producer_on_all_interfaces_checked_over_http() -> None:
    producer = compose_service("producer")
    assert producer["environment"]["HOST"] == "0.0.0.0"  # noqa: S104 - what is checked
    assert producer["environment"]["PORT"] == COMPOSE_PORT
    test = producer["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    assert f"urlopen('http://127.0.0.1:{COMPOSE_PORT}/health', timeout=2)" in test[3]


def test_ecs_runs_the_producer_on_all_interfaces_with_the_same_check() -> None:
    assert re.search(r'^\s*HOST = "0\.0\.0\.0"$', tf_container("producer"), re.MULTILINE)
    compose_test = compose_service("producer")["healthcheck"]["test"]
    assert tf_producer_health_command() == [
        part.replace(f"127.0.0.1:{COMPOSE_PORT}", f"127.0.0.1:{TF_PORT}") for part in compose_test
    ]


@pytest.mark.parametrize("worker", WORKERS)
def test_each_worker_is_checked_by_its_liveness_in_compose_and_on_ecs(worker: str) -> None:
    expected = ["CMD", "python", "-m", "conveyor_aws.broker.liveness", worker]
    assert compose_service(worker)["healthcheck"]["test"] == expected
    assert tf_worker_health_commands()[worker] == expected
    uses_it = rf"^\s*health_check\s*=\s*local\.worker_health_check\.{worker}$"
    assert re.search(uses_it, tf_container(worker), re.MULTILINE)


def test_the_service_module_hands_the_check_to_ecs_as_given() -> None:
    task = " ".join(SERVICE_MODULE_TASK_TF.read_text().split())
    assert "healthCheck = { command = var.health_check.command" in task


class _Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/health" else 404)
        self.end_headers()

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[int]:
    """A stand-in for the producer answering /health with the parametrized status."""
    handler = type("Handler", (_Health,), {"status": request.param})
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as httpd:
        threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
        yield httpd.server_address[1]
        httpd.shutdown()


def run_producer_check(port: int) -> int:
    """Compose's producer check as the container runs it, against this port instead."""
    _, _, flag, code = compose_service("producer")["healthcheck"]["test"]
    code = code.replace(f"127.0.0.1:{COMPOSE_PORT}", f"127.0.0.1:{port}")
    done = subprocess.run(
        [sys.executable, flag, code], capture_output=True, timeout=CHECK_TIMEOUT_SECONDS
    )
    return done.returncode


@pytest.mark.parametrize(("server", "healthy"), [(200, True), (503, False)], indirect=["server"])
def test_the_producer_check_passes_only_on_a_healthy_answer(server: int, healthy: bool) -> None:
    assert (run_producer_check(server) == 0) is healthy


def test_the_producer_check_fails_when_nothing_listens() -> None:
    with http.server.HTTPServer(("127.0.0.1", 0), _Health) as closed:
        port = closed.server_address[1]
    assert run_producer_check(port) != 0
