"""The export use case: claim, render into S3, record and announce the outcome.

Every step is safe to repeat. DynamoDB's conditional claim decides which
delivery does the work; the catalogue upsert and the outcome events (with
fixed event ids) are repeated by a later delivery when a crash interrupted them.

A crash leaves nothing behind: an attempt that fails aborts its own upload, and
every later attempt (a reclaim after a dead worker, or a retry) first aborts
whatever upload an earlier one left open under the job's prefix, whether it
then runs the export or only records it FAILED or CANCELLED.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from conveyor_aws.failures import is_transient
from conveyor_common.envelope import Envelope
from conveyor_common.events import ExportRequested
from conveyor_common.exports.job import ExportJob, object_key, object_prefix
from conveyor_common.exports.model import EMAIL_LINK_TTL_SECONDS, ExportRequest
from conveyor_common.exports.registry import resolve
from conveyor_common.jobs import JobStatus
from conveyor_common.log import correlation, get_logger
from conveyor_processor.exports.failures import (
    Cancelled,
    LeaseLost,
    readable_reason,
)
from conveyor_processor.exports.lease_keeper import LeaseKeeper
from conveyor_processor.exports.naming import file_name
from conveyor_processor.exports.outcome_events import completed_envelope, failed_envelope
from conveyor_processor.exports.policy import (
    RETRY_WINDOW,
    ExportBusy,
    Unclaimed,
    busy_retry_after_seconds,
    gave_up_reason,
    interrupted_too_often,
    interruption_reason,
    retrying_too_long,
    why_unclaimed,
)
from conveyor_processor.exports.ports import (
    Announcer,
    ExportCatalogue,
    ExportFiles,
    ExportStates,
    Renderer,
)
from conveyor_processor.exports.progress import ProgressThrottle, percentage

logger = get_logger(__name__)

COMPLETE_PERCENT = 100


class Outcome(StrEnum):
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    # Nothing done by this delivery:
    ALREADY_FINISHED = "ALREADY_FINISHED"
    UNKNOWN_EXPORT = "UNKNOWN_EXPORT"
    LEASE_LOST = "LEASE_LOST"


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ExportServices:
    states: ExportStates
    catalogue: ExportCatalogue
    files: ExportFiles
    render: Renderer
    announcer: Announcer
    # Identifies this worker thread in leases.
    owner: str
    lease_seconds: int
    retry_window: timedelta = RETRY_WINDOW
    clock: Callable[[], datetime] = field(default=_utc_now)
    monotonic: Callable[[], float] = field(default=time.monotonic)


def handle_export_requested(envelope: Envelope, *, services: ExportServices) -> Outcome:
    """Run one delivery of ExportRequested. Returns normally when the message may be
    acked; raises only for a transient error worth retrying."""
    payload = envelope.of(ExportRequested).payload
    with correlation(
        envelope.correlation_id, event_id=str(envelope.event_id), export_id=str(payload.export_id)
    ):
        job = services.states.claim(
            payload.export_id,
            owner=services.owner,
            lease_seconds=services.lease_seconds,
            now=services.clock(),
        )
        if job is None:
            return _unclaimed(payload.export_id, envelope, services)
        logger.info("export claimed", attempt=job.attempts, format=job.format.value)
        try:
            return _claimed(job, payload, envelope, services)
        except Exception as exc:
            if not is_transient(exc):
                raise
            reason = readable_reason(exc)
            if retrying_too_long(job, now=services.clock(), window=services.retry_window):
                logger.error("export failed: its dependencies stayed down", exc_info=True)
                return _fail(job, gave_up_reason(reason, services.retry_window), envelope, services)
            logger.warning("export interrupted by a transient failure; retrying", exc_info=True)
            _release(job, reason, services)
            raise


def _claimed(
    job: ExportJob, payload: ExportRequested, envelope: Envelope, services: ExportServices
) -> Outcome:
    if interrupted_too_often(job):
        _abort_earlier_uploads_quietly(job, services)
        return _fail(job, interruption_reason(job), envelope, services)
    services.catalogue.upsert(job)
    if job.cancel_requested:
        _abort_earlier_uploads_quietly(job, services)
        return _cancel(job, services)
    return _run(job, payload, envelope, services)


def _abort_earlier_uploads(job: ExportJob, services: ExportServices) -> None:
    """Abort the multipart uploads that earlier attempts left open: a killed worker
    never aborts its own, and S3 would keep (and bill) their parts until the bucket's
    lifecycle rule, a backstop that emulators never run. The first attempt has none."""
    if job.attempts <= 1 and job.retrying_since is None:
        return
    aborted = services.files.abort_uploads(object_prefix(job))
    if aborted:
        logger.info("aborted uploads of earlier attempts", uploads=aborted)


def _abort_earlier_uploads_quietly(job: ExportJob, services: ExportServices) -> None:
    # Before a FAILED or CANCELLED outcome that writes nothing: recording the outcome
    # matters more, and the lifecycle rule still removes what S3 refused to abort now.
    try:
        _abort_earlier_uploads(job, services)
    except Exception:
        logger.warning("could not abort the uploads of earlier attempts", exc_info=True)


def _run(
    job: ExportJob, payload: ExportRequested, envelope: Envelope, services: ExportServices
) -> Outcome:
    name = file_name(title=job.title, resource=job.resource, requested_at=payload.requested_at)
    key = object_key(job, name)
    keeper = LeaseKeeper(
        renew=lambda: services.states.heartbeat(
            job.export_id,
            owner=services.owner,
            lease_seconds=services.lease_seconds,
            now=services.clock(),
        ),
        lease_seconds=services.lease_seconds,
    )
    progress = _ProgressReporter(job, services, keeper)
    try:
        # Inside the try: S3 being unreachable here is a transient failure like any other.
        _abort_earlier_uploads(job, services)
        export = resolve(_request(payload))
        with (
            keeper,
            services.files.open(
                key, content_type=job.format.content_type, file_name=f"{name}.{job.format.value}"
            ) as sink,
        ):
            rows = services.render(job, export, sink=sink, progress=progress)
        size_bytes = sink.tell()
    except Cancelled:
        return _cancel(job, services)
    except LeaseLost:
        logger.warning("export lease lost; its new owner finishes it")
        return Outcome.LEASE_LOST
    except Exception as exc:
        if is_transient(exc):
            raise  # the caller gives the job back for a retry
        logger.error("export failed", attempt=job.attempts, exc_info=True)
        return _fail(job, readable_reason(exc), envelope, services)
    return _complete(job, envelope, services, key=key, rows=rows, size_bytes=size_bytes)


def _request(payload: ExportRequested) -> ExportRequest:
    return ExportRequest(
        resource=payload.resource,
        format=payload.format,
        filters=payload.filters,
        columns=list(payload.columns) if payload.columns is not None else None,
        title=payload.title,
        notify=list(payload.notify),
        include_bom=payload.include_bom,
    )


class _ProgressReporter:
    """The writers' progress callback: a throttled heartbeat that renews the lease and
    stops the export when it was cancelled or the lease was lost."""

    def __init__(self, job: ExportJob, services: ExportServices, keeper: LeaseKeeper) -> None:
        self._job = job
        self._services = services
        self._keeper = keeper
        self._throttle = ProgressThrottle(
            estimated_row_count=job.estimated_row_count, started_at_seconds=services.monotonic()
        )

    def __call__(self, rows_so_far: int) -> None:
        if self._keeper.lost:
            raise LeaseLost
        if self._keeper.cancel_requested:
            raise Cancelled
        if not self._throttle.due(rows_so_far, now_seconds=self._services.monotonic()):
            return
        job = self._services.states.heartbeat(
            self._job.export_id,
            owner=self._services.owner,
            lease_seconds=self._services.lease_seconds,
            now=self._services.clock(),
            progress={
                "progress_percentage": percentage(rows_so_far, self._job.estimated_row_count)
            },
        )
        if job is None:
            raise LeaseLost
        if job.cancel_requested:
            raise Cancelled


def _release(job: ExportJob, reason: str, services: ExportServices) -> None:
    try:
        services.states.release(
            job.export_id, owner=services.owner, now=services.clock(), reason=reason
        )
    except Exception:
        # The lease then runs out by itself and the retry reclaims after it, as after a
        # dead worker (so this one claim does count as an attempt).
        logger.warning("could not release the export lease", exc_info=True)


def _complete(
    job: ExportJob,
    envelope: Envelope,
    services: ExportServices,
    *,
    key: str,
    rows: int,
    size_bytes: int,
) -> Outcome:
    finished = _finish(
        job,
        JobStatus.COMPLETED,
        services,
        {
            "actual_row_count": rows,
            "file_size_bytes": size_bytes,
            "object_key": key,
            "progress_percentage": COMPLETE_PERCENT,
        },
    )
    if finished is None:
        return Outcome.LEASE_LOST
    services.catalogue.upsert(finished)
    _announce(finished, envelope, services)
    logger.info("export completed", rows=rows, size_bytes=size_bytes, object_key=key)
    return Outcome.COMPLETED


def _fail(job: ExportJob, reason: str, envelope: Envelope, services: ExportServices) -> Outcome:
    finished = _finish(job, JobStatus.FAILED, services, {"error": reason})
    if finished is None:
        return Outcome.LEASE_LOST
    services.catalogue.upsert(finished)
    _announce(finished, envelope, services)
    logger.info("export failed for good", reason=reason)
    return Outcome.FAILED


def _cancel(job: ExportJob, services: ExportServices) -> Outcome:
    finished = _finish(job, JobStatus.CANCELLED, services, {})
    if finished is None:
        return Outcome.LEASE_LOST
    services.catalogue.upsert(finished)
    logger.info("export cancelled")
    return Outcome.CANCELLED


def _finish(
    job: ExportJob, status: JobStatus, services: ExportServices, fields: dict[str, Any]
) -> ExportJob | None:
    return services.states.finish(
        job.export_id, owner=services.owner, status=status, now=services.clock(), fields=fields
    )


def _unclaimed(export_id: uuid.UUID, envelope: Envelope, services: ExportServices) -> Outcome:
    job = services.states.get(export_id)
    reason = why_unclaimed(job)
    if reason is Unclaimed.MISSING or job is None:
        logger.error("export requested for an unknown export; dropped")
        return Outcome.UNKNOWN_EXPORT
    if reason is Unclaimed.BUSY:
        retry_after = busy_retry_after_seconds(job, now=services.clock())
        logger.info("export held by another worker; delivery postponed", seconds=retry_after)
        raise ExportBusy(retry_after)
    # A redelivery after the outcome: finish what a crash may have left undone.
    services.catalogue.upsert(job)
    _announce(job, envelope, services)
    logger.info("export already finished", status=job.status.value)
    return Outcome.ALREADY_FINISHED


def _announce(job: ExportJob, envelope: Envelope, services: ExportServices) -> None:
    now = services.clock()
    if job.status is JobStatus.FAILED:
        outcome = failed_envelope(job, correlation_id=envelope.correlation_id, occurred_at=now)
    elif job.status is JobStatus.COMPLETED and job.object_key:
        link_expires_at = now + timedelta(seconds=EMAIL_LINK_TTL_SECONDS)
        outcome = completed_envelope(
            job,
            correlation_id=envelope.correlation_id,
            file_name=job.object_key.rsplit("/", 1)[-1],
            download_url=services.files.presign(job.object_key, ttl_seconds=EMAIL_LINK_TTL_SECONDS),
            download_url_expires_at=link_expires_at,
            occurred_at=now,
        )
    else:
        return
    if not services.announcer.announced(job.export_id, outcome.event_id):
        services.announcer.announce(job.export_id, outcome, expires_at=job.expires_at)
