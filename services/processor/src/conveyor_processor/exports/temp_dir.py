"""The processor's own directory for export temporary files, and the removal of the
ones a killed processor left behind.

The XLSX writer's sheet buffer (openpyxl's, about 280 MB at 500,000 rows) and the
PDF writer's chunk folder are temporary files. A writer removes its own when the
attempt ends, whatever the reason (completed, failed, cancelled, lease lost); only
a process that is killed (kill -9, the OOM killer) cannot. So:

- each processor process owns a directory `<root>/conveyor-export-<pid>-<random>/`
  and holds an exclusive `flock` on the lock file beside it,
  `<root>/conveyor-export-<pid>-<random>.lock`, for its whole life. The kernel
  drops the lock when the process ends, however it ends;
- at start, a process removes every sibling directory whose lock it can take: its
  owner is dead. A live owner's lock cannot be taken, so its files are never
  touched, and a recycled pid cannot fool it (a lock is not a pid);
- the directory becomes the process's `tempfile.tempdir`, since openpyxl offers no
  directory argument; the PDF writer's folder goes there too.

Races: the lock file exists, and is locked and checked to still be the file at its
path, before its directory is made; a cleaner removes the directory first and the
lock file last, while it holds the lock. A starting process whose lock file was
taken or removed in between simply tries another name. Only names with the prefix
and a lock file are ever removed, so a root shared with other programs is safe.

The root must be a local file system (flock over NFS is not reliable) that the
processors of one host share, e.g. the default `<system tmp>/conveyor-processor`;
in a container it is the container's own disk, gone with the container anyway.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

from conveyor_common.log import get_logger

PREFIX = "conveyor-export-"
LOCK_SUFFIX = ".lock"
DEFAULT_ROOT_NAME = "conveyor-processor"
# Losing this many races in a row for a fresh name means something else is wrong.
MAX_CLAIM_TRIES = 20

logger = get_logger(__name__)


def default_root() -> Path:
    return Path(tempfile.gettempdir()) / DEFAULT_ROOT_NAME


class OwnedTempDir:
    """A directory this process owns for as long as it holds its lock file's flock."""

    def __init__(self, path: Path, lock_fd: int, *, removed: list[Path]) -> None:
        self.path = path
        self.lock_path = _lock_path(path)
        # Directories of dead processes removed when this one was claimed.
        self.removed = removed
        self._lock_fd: int | None = lock_fd
        self._previous_tempdir: str | None = None

    @classmethod
    def claim(cls, root: Path) -> OwnedTempDir:
        """Remove what dead owners left under `root`, then own a fresh directory there."""
        root.mkdir(parents=True, exist_ok=True)
        removed = remove_stale(root)
        for _ in range(MAX_CLAIM_TRIES):
            path = root / f"{PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
            lock_fd = _create_locked(_lock_path(path))
            if lock_fd is None:
                continue
            try:
                path.mkdir(mode=0o700)
            except BaseException:
                _unlink(_lock_path(path))
                os.close(lock_fd)
                raise
            return cls(path, lock_fd, removed=removed)
        raise RuntimeError(f"could not claim a temporary directory under {root}")

    def use_as_tempdir(self) -> OwnedTempDir:
        """Make it where `tempfile` (and so openpyxl and the PDF writer) create files."""
        self._previous_tempdir = tempfile.tempdir
        tempfile.tempdir = str(self.path)
        return self

    def release(self) -> None:
        """Remove the directory and give up the lock (on a clean stop)."""
        if self._lock_fd is None:
            return
        if tempfile.tempdir == str(self.path):
            tempfile.tempdir = self._previous_tempdir
        shutil.rmtree(self.path, ignore_errors=True)
        _unlink(self.lock_path)
        os.close(self._lock_fd)
        self._lock_fd = None

    def __enter__(self) -> OwnedTempDir:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


def remove_stale(root: Path) -> list[Path]:
    """Remove every directory under `root` whose owner is dead (its lock is free)."""
    removed = []
    for lock_path in sorted(root.glob(f"{PREFIX}*{LOCK_SUFFIX}")):
        lock_fd = _take(lock_path)
        if lock_fd is None:
            continue  # its owner is alive, or another process is cleaning it up
        try:
            directory = lock_path.with_name(lock_path.name.removesuffix(LOCK_SUFFIX))
            shutil.rmtree(directory, ignore_errors=True)
            if directory.exists():
                # A file appeared meanwhile (an orphaned renderer finishing a chunk):
                # keep the lock file, so the next start tries again.
                logger.warning("stale export temp dir not fully removed", path=str(directory))
                continue
            _unlink(lock_path)
            removed.append(directory)
        finally:
            os.close(lock_fd)
    return removed


def _lock_path(directory: Path) -> Path:
    return directory.with_name(directory.name + LOCK_SUFFIX)


def _create_locked(lock_path: Path) -> int | None:
    """A new lock file, locked by this process; None if the name was lost to a race."""
    try:
        lock_fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        return None
    if _lock_if_current(lock_fd, lock_path):
        return lock_fd
    return None


def _take(lock_path: Path) -> int | None:
    """The existing lock file, locked by this process; None if held or gone."""
    try:
        lock_fd = os.open(lock_path, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    if _lock_if_current(lock_fd, lock_path):
        return lock_fd
    return None


def _lock_if_current(lock_fd: int, lock_path: Path) -> bool:
    """Lock without waiting, and check the file is still the one at its path: a cleaner
    may have removed it between our open and our lock. Closes the descriptor if not."""
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        opened, current = os.fstat(lock_fd), os.stat(lock_path)
    except OSError:  # held by a live process (BlockingIOError), or removed meanwhile
        os.close(lock_fd)
        return False
    if (opened.st_dev, opened.st_ino) != (current.st_dev, current.st_ino):
        os.close(lock_fd)
        return False
    return True


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
