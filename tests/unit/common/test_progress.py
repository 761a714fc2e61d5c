"""Progress bars: on stderr only, drawn on a terminal, reduced to their label elsewhere,
never moving back."""

from __future__ import annotations

import io

import click
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from conveyor_common.progress import progress_bar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


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


def test_off_a_terminal_the_bar_is_its_label_once(capsys: pytest.CaptureFixture[str]) -> None:
    # given stderr is a pipe or a CI log (pytest's capture is no terminal)
    with progress_bar("seeding 1,000 orders", length=1_000) as bar:
        for position in range(0, 1_001, 100):
            bar.to(position)

    captured = capsys.readouterr()
    # then the log reads the label once, with no bar, percentage or carriage return
    assert captured.err == "seeding 1,000 orders\n"
    assert captured.out == ""


def test_on_a_terminal_the_bar_is_drawn_with_its_percentage(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)

    with progress_bar("waiting for the exports", length=300) as bar:
        bar.to(150)

    drawn = terminal.getvalue()
    assert "waiting for the exports" in drawn
    assert "50%" in drawn
    assert "\r" in drawn


@given(
    length=st.integers(1, 1_000),
    positions=st.lists(st.integers(-10, 2_000), max_size=30),
)
def test_the_position_shown_is_the_furthest_reached_within_the_length(
    length: int, positions: list[int]
) -> None:
    furthest = 0
    with progress_bar("working", length=length) as bar:
        for position in positions:
            bar.to(position)
            furthest = max(furthest, position)
            # then it never moves back and never passes the end
            assert bar.position == min(length, furthest)
