"""What every long-running job has in common, whatever its kind: the states it
moves through, the record every kind extends, and how a kind is described."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar, get_args

import msgspec


class JobStatus(StrEnum):
    QUEUED = "QUEUED"
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL


_TERMINAL = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED})


class Job(msgspec.Struct, frozen=True, kw_only=True):
    """A job's live state: what its owner sees, and what workers claim. Each kind
    extends it with its id and what its request and its result hold."""

    tenant_id: str
    status: JobStatus
    progress_percentage: int = 0
    error: str | None = None
    created_at: datetime
    started_at: datetime | None = None
    completed_at: datetime | None = None
    expires_at: datetime
    # Claims: a worker holds the job until lease_expires_at (epoch seconds); a claim
    # after a dead worker's lease ran out counts as another attempt.
    attempts: int = 0
    lease_owner: str | None = None
    lease_expires_at: int | None = None
    cancel_requested: bool = False
    # Transient failures (a dependency down) give the job back without spending an
    # attempt; these say since when it has been waiting for its dependencies, and why.
    retrying_since: datetime | None = None
    last_error: str | None = None


J = TypeVar("J", bound=Job)
R = TypeVar("R", bound=msgspec.Struct)

# Set by the job's life itself, never by a kind's result.
LIFECYCLE_FIELDS = frozenset(Job.__struct_fields__)


@dataclass(frozen=True)
class JobKind(Generic[J, R]):
    """One kind of job: the record it keeps, the result a completed run adds to it,
    and its id. `key_prefix` names the kind in storage keys and must never change."""

    key_prefix: str
    record: type[J]
    result: type[R]
    id_of: Callable[[J], uuid.UUID]

    def __post_init__(self) -> None:
        misfits = result_misfits(self.record, self.result)
        if misfits:
            raise TypeError(
                f"{self.result.__name__} does not fit {self.record.__name__}: {misfits}"
            )


def result_misfits(record: type[Job], result: type[msgspec.Struct]) -> list[str]:
    """Why a result cannot be written into the record: each of its fields must be a
    field of the record, of the same type (or one member of the record's union), and
    not one of the fields the job's life sets."""
    fields = {field.name: field.type for field in msgspec.structs.fields(record)}
    misfits = []
    for field in msgspec.structs.fields(result):
        if field.name in LIFECYCLE_FIELDS:
            misfits.append(f"{field.name} is set by the job's life")
        elif field.name not in fields:
            misfits.append(f"{field.name} is not a field of the record")
        elif not _fits(field.type, fields[field.name]):
            misfits.append(f"{field.name} is {field.type}, the record's is {fields[field.name]}")
    return misfits


def _fits(result_type: Any, record_type: Any) -> bool:
    return bool(result_type == record_type or result_type in get_args(record_type))
