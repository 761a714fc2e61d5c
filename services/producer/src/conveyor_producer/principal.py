"""The caller: who they are, which tenant they act for, their roles."""

from __future__ import annotations

import msgspec


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    sub: str
    tenant: str
    roles: tuple[str, ...]
    # Where the caller's own notifications go, when the issuer vouches for an address.
    email: str | None = None

    def has_role(self, role: str) -> bool:
        return role in self.roles
