"""Building one record from another: the fields they share are named, not re-spelled."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def copied_fields(record: object, names: Iterable[str]) -> dict[str, Any]:
    """The named fields of `record`, for a record or view that holds them as they are."""
    return {name: getattr(record, name) for name in names}
