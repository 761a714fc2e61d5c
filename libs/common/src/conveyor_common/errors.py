"""Domain errors, free of any transport: the edges map them to HTTP or job status."""

from __future__ import annotations

import msgspec


class FieldError(msgspec.Struct, frozen=True):
    field: str
    message: str


class ValidationFailed(ValueError):
    """Input that is well-formed JSON but breaks a business rule."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
