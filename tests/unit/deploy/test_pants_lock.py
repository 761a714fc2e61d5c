"""Pants' lockfile against uv.lock: any pin that differs is reported, and the
committed files agree (scripts/lint runs the same check)."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from conveyor_devstack.pants_lock import (
    PANTS_LOCK,
    REQUIREMENTS,
    UV_LOCK,
    disagreements,
    locked_pins,
    normalized,
    uv_pins,
)

Pins = dict[str, str]

names = st.from_regex(r"[a-z][a-z0-9]{0,6}([-_.][a-z0-9]{1,4})?", fullmatch=True)
versions = st.from_regex(r"[0-9]{1,3}(\.[0-9]{1,3}){1,2}", fullmatch=True)
pin_sets = st.dictionaries(names.map(normalized), versions, min_size=1, max_size=8)


def uv_lock(pins: Pins) -> str:
    workspace = '[[package]]\nname = "conveyor-common"\nversion = "0.1.0"\n'
    workspace += 'source = { editable = "libs/common" }\n'
    registry = "".join(
        f'[[package]]\nname = "{name}"\nversion = "{version}"\n'
        'source = { registry = "https://pypi.org/simple" }\n'
        for name, version in pins.items()
    )
    return f"version = 1\n{workspace}{registry}"


def requirements(pins: Pins) -> str:
    return "".join(
        f"{name}=={version} ; python_full_version >= '3.11'\n" for name, version in pins.items()
    )


def pants_lock(generated_from: Pins, locked: Pins) -> str:
    metadata = {
        "version": 3,
        "generated_with_requirements": [f"{n}=={v}" for n, v in generated_from.items()],
    }
    header = ["// --- BEGIN PANTS LOCKFILE METADATA: DO NOT EDIT OR REMOVE ---"]
    header += [f"// {line}" for line in json.dumps(metadata, indent=2).splitlines()]
    header.append("// --- END PANTS LOCKFILE METADATA ---")
    requirements = [{"project_name": name, "version": version} for name, version in locked.items()]
    body = json.dumps({"locked_resolves": [{"locked_requirements": requirements}]}, indent=2)
    return "\n".join([*header, body])


@given(pin_sets)
def test_a_lockfile_made_from_the_export_of_uv_lock_agrees(pins: Pins) -> None:
    assert disagreements(uv_lock(pins), requirements(pins), pants_lock(pins, pins)) == []


@given(pin_sets, st.data())
def test_a_package_pants_locks_at_another_version_is_named(pins: Pins, data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(pins)))
    locked = pins | {name: pins[name] + ".1"}
    problems = disagreements(uv_lock(pins), requirements(pins), pants_lock(pins, locked))
    assert problems == [
        f"python-default.lock: {name}=={locked[name]}, but uv.lock pins {name} otherwise"
    ]


@given(pin_sets, st.data())
def test_an_export_older_than_uv_lock_is_named(pins: Pins, data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(pins)))
    changed = pins | {name: pins[name] + ".1"}
    problems = disagreements(uv_lock(changed), requirements(pins), pants_lock(pins, pins))
    assert any(f"{name}=={changed[name]} is missing" in problem for problem in problems)
    assert any(name in problem and "python-default.lock:" in problem for problem in problems)


@given(pin_sets, st.data())
def test_a_lockfile_not_regenerated_after_the_export_is_named(
    pins: Pins, data: st.DataObject
) -> None:
    name = data.draw(st.sampled_from(sorted(pins)))
    old = pins | {name: pins[name] + ".1"}
    problems = disagreements(uv_lock(pins), requirements(pins), pants_lock(old, pins))
    assert f"python-default.lock's requirements: {name}=={pins[name]} is missing" in problems


def test_names_compare_in_their_normal_form() -> None:
    lock = uv_lock({"typing-extensions": "4.16.0"}).replace(
        "typing-extensions", "Typing_Extensions"
    )
    assert uv_pins(lock) == {("typing-extensions", "4.16.0")}


def test_the_committed_lockfile_pins_what_uv_lock_pins() -> None:
    lock = PANTS_LOCK.read_text()
    assert disagreements(UV_LOCK.read_text(), REQUIREMENTS.read_text(), lock) == []
    # Not vacuous: the lockfile holds what the services run on.
    assert {"litestar", "dramatiq", "lxml", "psycopg-binary"} <= {
        name for name, _ in locked_pins(lock)
    }
