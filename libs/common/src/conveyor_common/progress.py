"""Progress bars for long work run from a terminal: the CLI's uploads and waits, the
demo's waits, the benchmarks' seeding. Drawn on stderr, so that stdout holds only the
result (the CLI's --json stays parseable). click's own bar: drawn on a terminal, reduced
to its label, once, elsewhere (a pipe, a CI log, a test)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar


class Progress:
    """A bar moved to absolute positions, as a reader or a poll learns them; it never
    moves back (a reader that starts over, as a retried request does, is not shown twice)."""

    def __init__(self, bar: ProgressBar[int]) -> None:
        self._bar = bar
        self._shown = 0

    @property
    def position(self) -> int:
        return self._shown

    def to(self, position: int) -> None:
        step = min(position, self._bar.length or position) - self._shown
        if step > 0:
            self._bar.update(step)
            self._shown += step


@contextmanager
def progress_bar(label: str, *, length: int, show_pos: bool = False) -> Iterator[Progress]:
    # What was printed before the work shows before its bar, even when stdout is a
    # buffered pipe and stderr is not (a CI log holding both).
    sys.stdout.flush()
    with click.progressbar(
        length=length,
        label=label,
        file=sys.stderr,
        show_pos=show_pos,
        show_percent=True,
        show_eta=True,
    ) as bar:
        yield Progress(bar)
