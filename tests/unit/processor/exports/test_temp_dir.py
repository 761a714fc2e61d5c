"""Each processor owns a temporary directory under a shared root, and a starting one
removes the directories of dead processors, never a live one's. Real files, real locks,
other processes as the other owners."""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from conveyor_processor.exports.temp_dir import LOCK_SUFFIX, PREFIX, OwnedTempDir

# Run in another process: claim a directory under argv[1], leave a sheet buffer in it,
# print the directory, then either die by SIGKILL ("die") or live until stdin closes.
OTHER_OWNER = """
import os, signal, sys
from pathlib import Path
from conveyor_processor.exports.temp_dir import OwnedTempDir

owned = OwnedTempDir.claim(Path(sys.argv[1])).use_as_tempdir()
(owned.path / "openpyxl.sheet").write_bytes(b"x" * 65536)
print(owned.path, flush=True)
if sys.argv[2] == "die":
    os.kill(os.getpid(), signal.SIGKILL)
sys.stdin.read()
"""


def start_other_owner(root: Path, *, then: str) -> tuple[subprocess.Popen[str], Path]:
    process = subprocess.Popen(
        [sys.executable, "-c", OTHER_OWNER, str(root), then],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    return process, Path(process.stdout.readline().strip())


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # Whatever a test claims, this process's tempfile.tempdir is restored afterwards.
    monkeypatch.setattr(tempfile, "tempdir", tempfile.tempdir)
    return tmp_path / "processor-tmp"


@pytest.fixture
def live_owner(root: Path) -> Iterator[Path]:
    process, path = start_other_owner(root, then="live")
    yield path
    assert process.stdin is not None
    process.stdin.close()
    process.wait(timeout=30)


def test_a_claimed_directory_takes_the_process_temporary_files_until_released(
    root: Path,
) -> None:
    # when
    with OwnedTempDir.claim(root).use_as_tempdir() as owned:
        with tempfile.NamedTemporaryFile() as buffer:
            # then
            assert Path(buffer.name).parent == owned.path
        assert owned.path.parent == root
        assert owned.path.name.startswith(PREFIX)
        assert owned.lock_path.exists()

    # and a clean stop leaves nothing, and tempfile's default back
    assert list(root.iterdir()) == []
    assert Path(tempfile.gettempdir()) != owned.path


def test_a_killed_owners_directory_is_removed_by_the_next_claim(root: Path) -> None:
    # given a processor that died with a sheet buffer in its directory
    process, dead = start_other_owner(root, then="die")
    assert process.wait(timeout=30) == -signal.SIGKILL
    assert (dead / "openpyxl.sheet").exists()

    # when the next processor starts
    with OwnedTempDir.claim(root) as owned:
        # then the dead one's directory and lock are gone; only its own are left
        assert owned.removed == [dead]
        assert sorted(root.iterdir()) == sorted([owned.path, owned.lock_path])


def test_a_live_owners_directory_is_never_touched(root: Path, live_owner: Path) -> None:
    # when another processor starts beside a live one
    with OwnedTempDir.claim(root) as owned:
        # then the live one keeps its directory and its file
        assert owned.removed == []
        assert (live_owner / "openpyxl.sheet").exists()
        assert owned.path != live_owner


def test_a_directory_is_removed_once_its_owner_has_died(root: Path) -> None:
    # given an owner that was alive at one start and died before the next
    process, path = start_other_owner(root, then="live")
    with OwnedTempDir.claim(root) as first:
        assert first.removed == []
    process.kill()
    process.wait(timeout=30)

    # when / then
    with OwnedTempDir.claim(root) as second:
        assert second.removed == [path]
        assert not path.exists()


def test_only_its_own_kind_of_directory_is_ever_removed(root: Path) -> None:
    # given a root shared with other programs, and a lock left without its directory
    (root / "someone-else").mkdir(parents=True)
    (root / "someone-else" / "data").write_text("keep")
    no_lock = root / f"{PREFIX}without-a-lock"
    no_lock.mkdir()
    orphan_lock = root / f"{PREFIX}1-deadbeef{LOCK_SUFFIX}"
    orphan_lock.touch()

    # when
    with OwnedTempDir.claim(root) as owned:
        # then
        assert owned.removed == [root / f"{PREFIX}1-deadbeef"]
        assert not orphan_lock.exists()
        assert (root / "someone-else" / "data").read_text() == "keep"
        assert no_lock.exists()


def test_two_processes_claim_different_directories(root: Path, live_owner: Path) -> None:
    with OwnedTempDir.claim(root) as first, OwnedTempDir.claim(root) as second:
        assert len({first.path, second.path, live_owner}) == 3
