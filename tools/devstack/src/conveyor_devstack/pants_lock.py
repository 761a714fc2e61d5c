"""Pants builds with the versions uv.lock pins, or this check fails.

`python -m conveyor_devstack.pants_lock` compares, offline, uv.lock with what
scripts/pants-lock derives from it: build-support/uv-requirements.txt (uv's export of
every pin) and build-support/python-default.lock (Pants' lock of those requirements).
It fails when the export is out of date, when the lockfile was generated from other
requirements, or when the lockfile pins any package at a version uv.lock does not.
"""

from __future__ import annotations

import json
import re
import sys
import tomllib
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
UV_LOCK = ROOT / "uv.lock"
REQUIREMENTS = ROOT / "build-support" / "uv-requirements.txt"
PANTS_LOCK = ROOT / "build-support" / "python-default.lock"
REGENERATE = "run scripts/pants-lock"

# name==version, then anything (extras are never exported; markers follow a ';').
_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;]+)")

Pin = tuple[str, str]


def normalized(name: str) -> str:
    """The PEP 503 form, under which uv and Pants may spell one project differently."""
    return re.sub(r"[-_.]+", "-", name).lower()


def uv_pins(uv_lock: str) -> set[Pin]:
    """The registry packages of uv.lock; the workspace's own packages have no pin."""
    packages = tomllib.loads(uv_lock)["package"]
    return {
        (normalized(package["name"]), package["version"])
        for package in packages
        if "registry" in package.get("source", {})
    }


def requirement_pins(lines: Iterable[str]) -> set[Pin]:
    """The pins of requirement lines; a line that pins nothing is not a pin."""
    found = (_PIN.match(line) for line in lines if not line.lstrip().startswith("#"))
    return {(normalized(match[1]), match[2]) for match in found if match}


def _lockfile_json(pants_lock: str) -> dict[str, object]:
    """Pants' lockfile is JSON under a header of `//` lines holding its metadata."""
    body = "\n".join(line for line in pants_lock.splitlines() if not line.startswith("//"))
    parsed: dict[str, object] = json.loads(body)
    return parsed


def _lockfile_metadata(pants_lock: str) -> dict[str, object]:
    inside, lines = False, []
    for line in pants_lock.splitlines():
        if "BEGIN PANTS LOCKFILE METADATA" in line or "END PANTS LOCKFILE METADATA" in line:
            inside = not inside
        elif inside:
            lines.append(line.removeprefix("//"))
    metadata: dict[str, object] = json.loads("\n".join(lines))
    return metadata


def locked_pins(pants_lock: str) -> set[Pin]:
    """Every package the lockfile resolved, for any platform it covers."""
    resolves = _lockfile_json(pants_lock)["locked_resolves"]
    assert isinstance(resolves, list)
    return {
        (normalized(locked["project_name"]), locked["version"])
        for resolve in resolves
        for locked in resolve["locked_requirements"]
    }


def generated_with(pants_lock: str) -> set[Pin]:
    """The requirements the lockfile was generated from, as its metadata records them."""
    requirements = _lockfile_metadata(pants_lock)["generated_with_requirements"]
    assert isinstance(requirements, list)
    return requirement_pins(requirements)


def _differences(what: str, expected: set[Pin], actual: set[Pin]) -> list[str]:
    return [f"{what}: {name}=={version} is missing" for name, version in sorted(expected - actual)]


def disagreements(uv_lock: str, requirements: str, pants_lock: str) -> list[str]:
    """What makes Pants' lockfile disagree with uv.lock; empty when they agree."""
    pinned = uv_pins(uv_lock)
    exported = requirement_pins(requirements.splitlines())
    generated = generated_with(pants_lock)
    problems = [
        *_differences("uv-requirements.txt (uv.lock pins it)", pinned, exported),
        *_differences("uv-requirements.txt (uv.lock does not pin it)", exported, pinned),
        *_differences("python-default.lock's requirements", exported, generated),
        *_differences("python-default.lock's requirements (not exported)", generated, exported),
    ]
    problems += [
        f"python-default.lock: {name}=={version}, but uv.lock pins {name} otherwise"
        for name, version in sorted(locked_pins(pants_lock) - pinned)
    ]
    return problems


def main() -> None:
    problems = disagreements(UV_LOCK.read_text(), REQUIREMENTS.read_text(), PANTS_LOCK.read_text())
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        sys.exit(f"Pants' lockfile disagrees with uv.lock: {REGENERATE}")
    print("Pants' lockfile pins what uv.lock pins")


if __name__ == "__main__":
    main()
