"""Start/stop as a context manager, shared by every throwaway server."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class Lifecycle:
    def start(self) -> Self:
        """Start; whatever did start is stopped again if starting fails half-way."""
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
