"""A presigned upload's window, pure: how long the file may arrive and be completed, and
what a file whose window ended without a `complete` looks like.

S3 accepts the presigned POST until `post_expires_at`; `complete` is still taken until
`closes_at`, a grace later, for an upload S3 accepted just before the deadline. The
window then ends one way, never both: COMPLETED (`complete` started the import) or
EXPIRED (nothing started it by `closes_at`: the file is FAILED and never imported).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum

import msgspec

from conveyor_common.imports.job import ImportJob
from conveyor_common.jobs import JobStatus
from conveyor_producer.imports.ports import UploadLimits


class WindowState(StrEnum):
    OPEN = "OPEN"
    COMPLETED = "COMPLETED"
    EXPIRED = "EXPIRED"


class UploadWindow(msgspec.Struct, frozen=True, kw_only=True):
    # When S3 stops accepting the presigned POST (the answer's expiresAt).
    post_expires_at: datetime
    # When `complete` stops being taken, if nothing completed the upload before.
    closes_at: datetime
    # Kept as long as the file's job.
    kept_until: datetime
    state: WindowState = WindowState.OPEN

    def is_overdue(self, *, now: datetime) -> bool:
        """Still open at or past its closing time: nothing completed it in time."""
        return self.state is WindowState.OPEN and now >= self.closes_at

    def ended(self, state: WindowState) -> UploadWindow:
        return msgspec.structs.replace(self, state=state)


def opened_window(*, now: datetime, limits: UploadLimits, kept_until: datetime) -> UploadWindow:
    """The window of a presigned POST issued now."""
    post_expires_at = now + timedelta(seconds=limits.presigned_post_seconds)
    return UploadWindow(
        post_expires_at=post_expires_at,
        closes_at=post_expires_at + timedelta(seconds=limits.presigned_grace_seconds),
        kept_until=kept_until,
    )


def not_completed_reason(window: UploadWindow) -> str:
    deadline = window.post_expires_at.astimezone(UTC)
    return f"the upload was not completed before {deadline:%Y-%m-%dT%H:%M:%SZ}"


def as_abandoned(job: ImportJob, window: UploadWindow) -> ImportJob:
    """A queued file whose window ended unused, as callers see it: FAILED when the window
    closed, with the reason. Derived from the two records, so every read agrees."""
    return msgspec.structs.replace(
        job,
        status=JobStatus.FAILED,
        error=not_completed_reason(window),
        completed_at=window.closes_at,
    )
