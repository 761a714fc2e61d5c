"""docs/architecture.md describes the tree as it is: every package has its line, and
every package the document names exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"
SOURCE_ROOTS = ("libs", "services", "tools")
# A package as the document's tree names it: `conveyor_x/feature/`.
NAMED_PACKAGE = re.compile(r"`(conveyor_[a-z_]+(?:/[a-z_]+)*)/`")


def packages_in_tree() -> set[str]:
    found = set()
    for folder in SOURCE_ROOTS:
        for init in (ROOT / folder).glob("*/src/**/__init__.py"):
            parts = init.parent.parts
            found.add("/".join(parts[parts.index("src") + 1 :]))
    return found


def packages_in_doc() -> set[str]:
    return set(NAMED_PACKAGE.findall(DOC.read_text(encoding="utf-8")))


def test_every_package_has_its_line() -> None:
    assert packages_in_tree() - packages_in_doc() == set()


def test_every_package_named_exists() -> None:
    assert packages_in_doc() - packages_in_tree() == set()
