"""docker-compose.yml as the tests of the deployables read it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[3]
COMPOSE = ROOT / "docker-compose.yml"
SERVICES = ("producer", "processor", "notifier")
# ${NAME:-default} or ${NAME}: what Compose substitutes when NAME is not set.
_VARIABLE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-([^}]*))?\}")


def compose_service(name: str) -> dict[str, Any]:
    services: dict[str, dict[str, Any]] = yaml.safe_load(COMPOSE.read_text())["services"]
    return services[name]


def interpolated(value: str) -> str:
    """The value as Compose runs it with none of its variables set."""
    return _VARIABLE.sub(lambda found: found.group(1) or "", value)


def environment(service: str) -> dict[str, str]:
    """A service's environment, anchors merged and variables at their defaults."""
    variables: dict[str, Any] = compose_service(service)["environment"]
    return {name: interpolated(str(value)) for name, value in variables.items()}
