"""A measured run's figures, a child process run and measured, and the report line."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

from proc_memory import MIB, PeakSampler, own_peak_mib


@dataclass
class Measured:
    rows: int
    size_bytes: int
    seconds: float
    tree_peak_mib: float
    own_peak_mib: float
    # Anything else the child reported (child_result's `extra`).
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds

    @property
    def mib_per_second(self) -> float:
        return self.size_bytes / MIB / self.seconds


def child_result(*, rows: int, size_bytes: int, seconds: float, **extra: Any) -> str:
    """What a measured child prints last: its figures, its own peak RSS, and `extra`."""
    return json.dumps(
        {
            "rows": rows,
            "bytes": size_bytes,
            "seconds": seconds,
            "own_peak_mib": own_peak_mib(),
            "extra": extra,
        }
    )


def measure_child(script: str, arguments: list[str], *, env: dict[str, str]) -> Measured:
    """Run `script` with `arguments` in a child process, sampling its tree's RSS; its
    figures are the last line it prints (child_result)."""
    child = subprocess.Popen(
        [sys.executable, script, *arguments], env=env, stdout=subprocess.PIPE, text=True
    )
    with PeakSampler(child.pid) as sampler:
        output, _ = child.communicate()
    if child.returncode != 0:
        raise RuntimeError(f"{' '.join(arguments)} failed with status {child.returncode}")
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return Measured(
        rows=result["rows"],
        size_bytes=result["bytes"],
        seconds=result["seconds"],
        tree_peak_mib=sampler.peak_mib,
        own_peak_mib=result["own_peak_mib"],
        extra=result.get("extra", {}),
    )


def report(label: str, measured: Measured) -> None:
    print(
        f"  {label:<10} {measured.rows:>9,} rows {measured.seconds:8.1f} s"
        f" {measured.rows_per_second:9,.0f} rows/s {measured.mib_per_second:7.2f} MB/s"
        f"  peak RSS {measured.tree_peak_mib:6.0f} MB (tree)"
        f" {measured.own_peak_mib:6.0f} MB (own)",
        flush=True,
    )
