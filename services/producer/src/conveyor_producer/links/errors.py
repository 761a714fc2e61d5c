"""The links feature's failures, free of HTTP: problems.py maps each to a status."""

from __future__ import annotations


class LinkNotFound(LookupError):
    """No such link: never issued, mistyped, or long lapsed and removed."""


class LinkExpired(LookupError):
    """The link lapsed; the e-mail said until when."""
