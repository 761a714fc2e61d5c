"""Resident memory read from /proc: a process tree's RSS now, a process's own peak, and a
sampler that keeps a tree's peak while a measured run goes on."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from types import TracebackType

SAMPLE_SECONDS = 0.05
PAGE_SIZE_BYTES = os.sysconf("SC_PAGE_SIZE")
MIB = 1024 * 1024


def tree_rss_bytes(root: int) -> int:
    """The RSS of `root` and all its descendants, summed."""
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent]
        tree.update(children)
        frontier.extend(children)
    total = 0
    for pid in tree:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_SIZE_BYTES
        except (OSError, IndexError):
            continue
    return total


def own_peak_mib(pid: int | str = "self") -> float:
    """VmHWM: the process's peak RSS since exec (ru_maxrss would include the parent's
    size at fork)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class PeakSampler:
    """Samples the tree RSS of `root` every SAMPLE_SECONDS in a thread while entered;
    `peak_mib` is the highest sample."""

    def __init__(self, root: int) -> None:
        self._root = root
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self.peak_bytes = 0

    @property
    def peak_mib(self) -> float:
        return self.peak_bytes / MIB

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak_bytes = max(self.peak_bytes, tree_rss_bytes(self._root))
            time.sleep(SAMPLE_SECONDS)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
