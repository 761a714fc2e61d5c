"""The code's shape, checked where review alone would let it drift.

Functions stay short enough to read in one screen; the job core stays free of
any one job kind, so that a new kind reuses it instead of copying it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIRS = ("libs", "services")
MAX_FUNCTION_LINES = 50


def python_files() -> Iterator[Path]:
    for folder in SOURCE_DIRS:
        yield from sorted((ROOT / folder).rglob("*.py"))


def long_functions(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                yield f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({length} lines)"


def test_no_function_is_longer_than_the_limit() -> None:
    found = [entry for path in python_files() for entry in long_functions(path)]
    assert found == []


def imported_modules(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


JOB_CORE = (
    ROOT / "libs/common/src/conveyor_common/jobs.py",
    ROOT / "libs/aws_clients/src/conveyor_aws/job_store.py",
    *sorted((ROOT / "services/processor/src/conveyor_processor/jobs").glob("*.py")),
)


@pytest.mark.parametrize("path", JOB_CORE, ids=lambda path: path.name)
def test_the_job_core_knows_no_kind_of_job(path: Path) -> None:
    kind_modules = [
        module
        for module in imported_modules(path)
        if ".exports" in module or ".orders" in module or module.endswith(".events")
    ]
    assert kind_modules == []
    assert "export" not in path.read_text(encoding="utf-8").lower()
