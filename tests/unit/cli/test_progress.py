"""Progress bars, and the upload's file that reports how far it was read."""

from __future__ import annotations

from pathlib import Path

import click
from click.testing import CliRunner

from conveyor_cli.progress import progress_bar
from conveyor_cli.uploads import ReportingFile


def test_a_progress_bar_goes_to_stderr_and_never_moves_back() -> None:
    positions: list[int] = []

    @click.command()
    def work() -> None:
        with progress_bar("working", length=10) as bar:
            for position in (3, 2, 7, 15):
                bar.to(position)
                positions.append(bar.position)
        click.echo("result")

    result = CliRunner().invoke(work)

    assert positions == [3, 3, 7, 10]
    assert result.stdout == "result\n"
    assert "working" in result.stderr


def test_the_reporting_file_tells_how_far_it_was_read(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes(b"x" * 100)
    seen: list[int] = []

    with ReportingFile(path, seen.append) as file:
        chunks = [file.read(40), file.read(40), file.read(40), file.read(40)]

    assert [len(chunk) for chunk in chunks] == [40, 40, 20, 0]
    assert seen == [40, 80, 100, 100]
