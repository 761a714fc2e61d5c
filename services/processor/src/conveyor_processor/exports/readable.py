"""Failures whose message is written for the person who asked for the export."""

from __future__ import annotations


class ReadableFailure(Exception):
    """Raise a subclass with a message a user can act on (no paths, no tracebacks):
    `failures.readable_reason` records it as the job's error as it is."""
