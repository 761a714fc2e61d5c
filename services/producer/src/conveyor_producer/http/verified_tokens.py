"""Tokens already verified, by their raw text, so a caller's next request skips the work.

Checking a token (base64, the signature, the claims) is a fixed cost on every request;
a caller sends the same token until it expires. What a check decides depends on the
token's text alone (signature, audience, issuer, claims) and on the time (`exp`), so a
token that passed is taken again, as the same Principal, while its `exp` plus the
clock skew has not passed. The verifier also ends each entry `max_age_seconds` after the
check, as long as a key set is cached (conveyor_producer.http.auth.KEY_SET_CACHE_SECONDS).
A token checked just before its cached key set lapses is then kept that long again, so
a key removed from the JWKS is honoured for up to twice that time after the key set
was fetched (10 minutes), against once without this cache.
Refused tokens are never kept. The least recently used entry makes room for a new one.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from conveyor_producer.principal import Principal

# Distinct tokens kept: each is about 1 KiB with its Principal.
CAPACITY = 4096


class VerifiedTokens:
    """A bounded LRU of verified tokens; safe across threads (JWKS checks run off the loop)."""

    def __init__(
        self,
        *,
        max_age_seconds: float,
        capacity: int = CAPACITY,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._capacity = capacity
        self._max_age_seconds = max_age_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, token: str) -> Principal | None:
        """The Principal of `token` while its check still holds; None otherwise."""
        with self._lock:
            entry = self._entries.get(token)
            if entry is None:
                return None
            principal, valid_until = entry
            if self._clock() >= valid_until:
                del self._entries[token]
                return None
            self._entries.move_to_end(token)
            return principal

    def put(self, token: str, principal: Principal, *, valid_until: float) -> None:
        """Keep `token`, verified just now, until `valid_until` (epoch seconds) at most."""
        until = min(valid_until, self._clock() + self._max_age_seconds)
        with self._lock:
            self._entries[token] = (principal, until)
            self._entries.move_to_end(token)
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)
