"""The upload's file that reports how far it was read."""

from __future__ import annotations

from pathlib import Path

from conveyor_cli.uploads import ReportingFile


def test_the_reporting_file_tells_how_far_it_was_read(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes(b"x" * 100)
    seen: list[int] = []

    with ReportingFile(path, seen.append) as file:
        chunks = [file.read(40), file.read(40), file.read(40), file.read(40)]

    assert [len(chunk) for chunk in chunks] == [40, 40, 20, 0]
    assert seen == [40, 80, 100, 100]
