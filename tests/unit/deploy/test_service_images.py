"""Each service's image (services/<service>/Dockerfile), as docker-compose.yml builds
and runs it.

No image is built here: these check what makes the images what the deploy needs. A
builder stage installs the service alone without the dev group; the runtime stage, on
the same base so the copied virtualenv's interpreter is there, runs as a numeric
non-root user with the health check and command compose declares.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from tests.unit.deploy.compose import ROOT, SERVICES, compose_service

BASE_IMAGE = "python:3.11-slim-bookworm"
VENV = "/app/.venv"


def dockerfile(service: str) -> Path:
    return ROOT / "services" / service / "Dockerfile"


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continued lines joined, comments left out."""
    logical = re.sub(r"\\\n(?:\s*#[^\n]*\n)*", " ", path.read_text())
    found = []
    for line in logical.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            keyword, _, arguments = line.strip().partition(" ")
            found.append((keyword.upper(), " ".join(arguments.split())))
    return found


def runtime_stage(service: str) -> list[tuple[str, str]]:
    steps = instructions(dockerfile(service))
    last_from = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    return steps[last_from:]


def arguments(steps: list[tuple[str, str]], keyword: str) -> list[str]:
    return [args for found, args in steps if found == keyword]


@pytest.mark.parametrize("service", SERVICES)
def test_compose_builds_each_service_from_its_own_dockerfile(service: str) -> None:
    build = compose_service(service)["build"]
    assert (ROOT / build["context"]).resolve() == ROOT
    assert ROOT / build["dockerfile"] == dockerfile(service)


def test_the_bootstrap_job_runs_in_the_processor_image() -> None:
    # It migrates the processor's database; the processor's image holds conveyor_aws too.
    bootstrap, processor = compose_service("bootstrap"), compose_service("processor")
    assert (bootstrap["build"], bootstrap["image"]) == (processor["build"], processor["image"])


@pytest.mark.parametrize("service", SERVICES)
def test_the_builder_installs_the_service_alone_without_the_dev_group(service: str) -> None:
    steps = instructions(dockerfile(service))
    builder = f"{BASE_IMAGE} AS builder"
    assert builder in arguments(steps, "FROM")
    syncs = [args for args in arguments(steps, "RUN") if args.startswith("uv sync")]
    package = f"--package conveyor-{service}"
    assert syncs == [
        f"uv sync --frozen --no-dev {package} --no-install-workspace",
        f"uv sync --frozen --no-dev --no-editable {package}",
    ]
    assert f"UV_PROJECT_ENVIRONMENT={VENV}" in " ".join(arguments(steps, "ENV"))


@pytest.mark.parametrize("service", SERVICES)
def test_the_runtime_copies_only_the_virtualenv_and_runs_as_a_numeric_user(service: str) -> None:
    runtime = runtime_stage(service)
    assert runtime[0] == ("FROM", f"{BASE_IMAGE} AS runtime")
    assert arguments(runtime, "COPY") == [f"--from=builder {VENV} {VENV}"]
    # uid:gid, neither 0 (root)
    assert re.fullmatch(r"[1-9][0-9]*:[1-9][0-9]*", arguments(runtime, "USER")[-1])


@pytest.mark.parametrize("service", SERVICES)
def test_the_image_checks_health_and_starts_as_compose_does(service: str) -> None:
    runtime, declared = runtime_stage(service), compose_service(service)
    check = arguments(runtime, "HEALTHCHECK")[-1]
    options, _, command = check.partition(" CMD ")
    healthcheck = declared["healthcheck"]
    assert ["CMD", *json.loads(command)] == healthcheck["test"]
    for option in ("interval", "timeout", "retries", "start_period"):
        flag = f"--{option.replace('_', '-')}={healthcheck[option]}"
        assert flag in options.split()
    assert json.loads(arguments(runtime, "CMD")[-1]) == declared["command"]
