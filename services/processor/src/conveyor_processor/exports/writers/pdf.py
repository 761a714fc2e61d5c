"""PDF writer: WeasyPrint renders bounded chunks in a child process; pypdf joins them.

WeasyPrint holds about 200 KB per table row and does not give memory back to
the system, so a whole export in the worker would grow to gigabytes. Rows are
formatted here, CHUNK_ROWS at a time, into one HTML file per chunk; a child
process renders each into a PDF file and is replaced every CHUNKS_PER_CHILD
chunks, which bounds its memory. The chunk files are then joined and numbered
"Page X of Y" (pdf_pages) and streamed to the sink.
"""

from __future__ import annotations

import contextlib
import functools
import select
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any, BinaryIO

from conveyor_common.exports.registry import Column
from conveyor_processor.exports.writers import pdf_chunk
from conveyor_processor.exports.writers.pdf_html import (
    cell_formatters,
    chunk_html,
    heading,
    table_columns,
)
from conveyor_processor.exports.writers.pdf_pages import assemble
from conveyor_processor.jobs.failures import ReadableFailure

# About 160 MB of renderer memory per chunk; the child then grows ~6 MB per reuse.
CHUNK_ROWS = 500
# Starting Python and WeasyPrint costs seconds, so a child renders a few chunks.
CHUNKS_PER_CHILD = 8
# The caller hears about progress this often while a chunk renders (lease heartbeats).
WAIT_REPORT_SECONDS = 1.0
CHUNK_TIMEOUT_SECONDS = 600.0
_CHILD_COMMAND = (sys.executable, "-m", pdf_chunk.__name__)


class PdfRenderFailed(ReadableFailure):
    """The renderer process failed or took too long; the message, meant for the user,
    says which."""


def write_pdf(
    rows: Iterable[Sequence[Any]],
    *,
    columns: Sequence[Column],
    sink: BinaryIO,
    title: str | None,
    filters: Mapping[str, Any],
    generated_at: datetime,
    progress: Callable[[int], None],
    chunk_rows: int = CHUNK_ROWS,
    chunks_per_child: int = CHUNKS_PER_CHILD,
) -> int:
    """Render `rows` (typed values in `columns` order) as one PDF; returns the row count."""
    layout = table_columns(columns)
    first_page = heading(title=title, filters=filters, generated_at=generated_at)
    written = 0
    with (
        # In the process's temporary directory (conveyor_processor.exports.temp_dir), and
        # removed on the way out whatever the reason; a failed removal must not hide why
        # the export stopped.
        tempfile.TemporaryDirectory(prefix="conveyor-pdf-", ignore_cleanup_errors=True) as folder,
        _Renderer(Path(folder), chunks_per_child=chunks_per_child) as renderer,
    ):
        chunk_paths = []
        for index, chunk in enumerate(_chunks(rows, columns, chunk_rows)):
            html = chunk_html(chunk, columns=layout, heading=first_page if index == 0 else None)
            chunk_paths.append(
                renderer.render(html, index, waiting=functools.partial(progress, written))
            )
            written += len(chunk)
            progress(written)
        renderer.close()
        assemble(chunk_paths, sink, title=first_page.title)
    return written


def _chunks(
    rows: Iterable[Sequence[Any]], columns: Sequence[Column], size: int
) -> Iterator[list[list[str]]]:
    """Formatted rows, `size` at a time; an empty export is one empty chunk."""
    formatters = cell_formatters(columns)
    chunk: list[list[str]] = []
    any_chunk = False
    for row in rows:
        chunk.append([fmt(value) for fmt, value in zip(formatters, row, strict=True)])
        if len(chunk) == size:
            any_chunk = True
            yield chunk
            chunk = []
    if chunk or not any_chunk:
        yield chunk


def stopped_reason(returncode: int | None, *, last_log_line: str = "") -> str:
    """Why the renderer process ended, for the job's error. A negative return code is
    the signal that killed it (the OOM killer sends 9); only a process that exited by
    itself has a last log line worth showing (its exception)."""
    if returncode is None:
        return "the PDF renderer stopped"
    if returncode < 0:
        return f"the PDF renderer stopped (killed by signal {-returncode})"
    reason = f"the PDF renderer stopped (exit status {returncode})"
    return f"{reason}: {last_log_line}" if last_log_line else reason


class _Renderer:
    """Drives the renderer child process: one request line per chunk, `done` back."""

    def __init__(self, folder: Path, *, chunks_per_child: int) -> None:
        self._folder = folder
        self._chunks_per_child = chunks_per_child
        self._child: subprocess.Popen[str] | None = None
        self._log: IO[bytes] | None = None
        self._served = 0

    def __enter__(self) -> _Renderer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self._kill()

    def render(self, html: str, index: int, *, waiting: Callable[[], None]) -> Path:
        html_path = self._folder / f"chunk-{index:05d}.html"
        pdf_path = html_path.with_suffix(".pdf")
        html_path.write_text(html, encoding="utf-8")
        child = self._ready_child()
        assert child.stdin is not None
        assert child.stdout is not None
        try:
            child.stdin.write(f"{html_path}\t{pdf_path}\n")
            child.stdin.flush()
        except BrokenPipeError:
            raise PdfRenderFailed(self._failure()) from None
        deadline = time.monotonic() + CHUNK_TIMEOUT_SECONDS
        while not select.select([child.stdout], [], [], WAIT_REPORT_SECONDS)[0]:
            if time.monotonic() > deadline:
                self._kill()
                raise PdfRenderFailed(f"rendering a PDF chunk took over {CHUNK_TIMEOUT_SECONDS} s")
            waiting()
        answer = child.stdout.readline().strip()
        if answer != pdf_chunk.DONE_LINE:
            raise PdfRenderFailed(self._failure())
        html_path.unlink()
        self._served += 1
        return pdf_path

    def close(self) -> None:
        """Let the child finish: closing its input ends it."""
        child, self._child = self._child, None
        if child is not None:
            assert child.stdin is not None
            with contextlib.suppress(BrokenPipeError):
                child.stdin.close()
            child.wait(timeout=CHUNK_TIMEOUT_SECONDS)
            if child.stdout is not None:
                child.stdout.close()
        self._close_log()

    def _ready_child(self) -> subprocess.Popen[str]:
        if self._child is not None and self._served >= self._chunks_per_child:
            self.close()
        if self._child is None:
            # WeasyPrint's warnings go to a file; stdout carries only the answers.
            self._log = (self._folder / "renderer.log").open("ab")
            self._child = subprocess.Popen(
                _CHILD_COMMAND,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._log,
                text=True,
            )
            self._served = 0
        return self._child

    def _failure(self) -> str:
        child = self._child
        self._kill()
        code = child.returncode if child is not None else None
        return stopped_reason(code, last_log_line=self._last_log_line())

    def _last_log_line(self) -> str:
        try:
            log = (self._folder / "renderer.log").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return next((line.strip() for line in reversed(log.splitlines()) if line.strip()), "")

    def _kill(self) -> None:
        child, self._child = self._child, None
        if child is not None:
            with contextlib.suppress(ProcessLookupError):
                child.kill()
            child.wait()
            for stream in (child.stdin, child.stdout):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None
