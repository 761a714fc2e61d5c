"""Domain errors, free of any transport: the edges map them to HTTP or job status."""

from __future__ import annotations

import re

import msgspec


class FieldError(msgspec.Struct, frozen=True):
    field: str
    message: str


class ValidationFailed(ValueError):
    """Input that is well-formed JSON but breaks a business rule."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))


# msgspec ends a validation message with " - at `$.items[0].sku`" when not at the root.
# A mapping's key is reported as " - at `key` in `$.filters`": the mapping is the field.
_LOCATION = re.compile(r"^(?P<message>.*?)(?: - at (?:`key` in )?`\$(?P<path>[^`]*)`)?$", re.DOTALL)
_NAMED_FIELD = re.compile(r"(?:unknown|required) field `(?P<name>[^`]+)`")


def field_error(message: str) -> FieldError:
    """A msgspec validation message as a field path (as the caller spelled it) and a reason."""
    match = _LOCATION.match(message)
    assert match is not None  # the pattern matches any text
    reason, path = match["message"], (match["path"] or "").lstrip(".")
    named = _NAMED_FIELD.search(reason)
    if named:
        path = f"{path}.{named['name']}" if path else named["name"]
    return FieldError(path, reason)
