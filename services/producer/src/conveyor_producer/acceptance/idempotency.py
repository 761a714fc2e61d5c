"""Idempotency-Key rules, pure: key syntax, request fingerprints and what a retry gets.

Every kind of accepted request shares them. A key remembers the first request's
fingerprint, the id of what it created (the subject) and the envelope made for it.
A retry with the same request gets the first answer; if that first attempt never
got its event published (the caller saw a 503), the retry publishes the very same
envelope, so consumers can tell it is one event. Reusing a key for a different
request is refused with 422, as the IETF Idempotency-Key draft suggests.
"""

from __future__ import annotations

import enum
import hashlib
import re
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

import msgspec

HEADER = "Idempotency-Key"
KEY_MAX_LENGTH = 255
RETENTION = timedelta(hours=24)
KEY_PATTERN = r"^[\x20-\x7e]+$"
_PRINTABLE_KEY = re.compile(rf"[\x20-\x7e]{{1,{KEY_MAX_LENGTH}}}")


class InvalidIdempotencyKey(ValueError):
    """The Idempotency-Key header is empty, too long or not printable."""


class IdempotencyKeyReused(ValueError):
    """The Idempotency-Key was first used with a different request."""


class Status(enum.StrEnum):
    PENDING = "PENDING"
    PUBLISHED = "PUBLISHED"


class Decision(enum.Enum):
    REPLAY = "replay"
    """The first attempt completed: answer as it did, publish nothing."""
    RESUME = "resume"
    """The first attempt's event was never published: publish that same envelope now."""


class IdempotencyRecord(msgspec.Struct, frozen=True, kw_only=True):
    fingerprint: str
    # The order or export the first request created.
    subject_id: str
    event_id: str
    envelope: str
    status: Status
    # The body the first request was answered with.
    response: dict[str, Any]
    ttl: int


def check_key(value: str) -> str:
    if not _PRINTABLE_KEY.fullmatch(value):
        raise InvalidIdempotencyKey(
            f"{HEADER} must be 1 to {KEY_MAX_LENGTH} printable ASCII characters"
        )
    return value


def fingerprint(request: msgspec.Struct, *, ignore: Collection[str] = ()) -> str:
    """SHA-256 of a normalised request without `ignore`, the fields generated per attempt."""
    fields = msgspec.to_builtins(request)
    for name in ignore:
        fields.pop(name, None)
    canonical = msgspec.json.encode(fields, order="sorted")
    return hashlib.sha256(canonical).hexdigest()


def expires_at(now: datetime) -> int:
    """The record's DynamoDB TTL, in epoch seconds."""
    return int((now + RETENTION).timestamp())


def is_expired(record: IdempotencyRecord, *, now: datetime) -> bool:
    # DynamoDB deletes expired items lazily, so an expired record may still be read.
    return record.ttl <= int(now.timestamp())


def decide(stored: IdempotencyRecord, *, request_fingerprint: str) -> Decision:
    if stored.fingerprint != request_fingerprint:
        raise IdempotencyKeyReused(f"this {HEADER} was already used for a different request")
    return Decision.REPLAY if stored.status is Status.PUBLISHED else Decision.RESUME
