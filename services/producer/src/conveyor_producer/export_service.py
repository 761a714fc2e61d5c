"""The service layer for exports: requesting, reading, listing and cancelling them.

Blocking (boto3, psycopg) and free of HTTP; the routes call it from worker threads.
The live state (DynamoDB) answers point reads; the processor's PostgreSQL
catalogue answers listings, and may lag the live state by a moment.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import msgspec

from conveyor_aws.state_store import ItemStore
from conveyor_common.envelope import Envelope
from conveyor_common.errors import ValidationFailed
from conveyor_common.events import ExportRequested
from conveyor_common.exports.job import ExportJob
from conveyor_common.exports.model import (
    API_LINK_TTL_SECONDS,
    RETENTION_DAYS,
    ExportRequest,
)
from conveyor_common.exports.query import count_query
from conveyor_common.exports.registry import ResolvedExport, resolve
from conveyor_common.jobs import JobStatus
from conveyor_common.log import get_logger
from conveyor_producer.auth import Principal
from conveyor_producer.dependencies import DATABASE, STATE_STORE, dependency
from conveyor_producer.errors import ExportExpired, ExportFinished, ExportNotFound, InvalidExport
from conveyor_producer.export_listing import ExportListing
from conveyor_producer.export_rules import (
    ADMIN_ROLE,
    check_row_limit,
    has_expired,
    is_visible,
    recipients,
)
from conveyor_producer.export_views import (
    AcceptedExport,
    DownloadLink,
    ExportPage,
    ExportView,
    accepted_export,
    catalogue_progress,
    export_view,
)
from conveyor_producer.idempotency import fingerprint
from conveyor_producer.idempotency_store import EXPORTS, IdempotencyStore
from conveyor_producer.ports import ExportDatabase, ExportStates, LinkSigner, Publisher
from conveyor_producer.request_body import decode_export_request
from conveyor_producer.submission import Acceptance, Attempt, Submission, Submitter

logger = get_logger(__name__)


def job_for(envelope: Envelope) -> ExportJob:
    """The QUEUED job an ExportRequested event stands for."""
    event = envelope.of(ExportRequested).payload
    return ExportJob(
        export_id=event.export_id,
        tenant_id=envelope.tenant_id,
        requested_by=event.requested_by,
        resource=event.resource,
        format=event.format,
        filters=event.filters,
        columns=event.columns,
        title=event.title,
        notify=event.notify,
        include_bom=event.include_bom,
        status=JobStatus.QUEUED,
        estimated_row_count=event.estimated_row_count,
        created_at=event.requested_at,
        expires_at=event.expires_at,
    )


def requested_event(
    request: ExportRequest,
    export_id: uuid.UUID,
    *,
    principal: Principal,
    count: int,
    now: datetime,
) -> ExportRequested:
    return ExportRequested(
        export_id=export_id,
        requested_by=principal.sub,
        resource=request.resource,
        format=request.format,
        title=request.title,
        notify=tuple(request.notify or ()),
        filters=request.filters,
        columns=tuple(request.columns) if request.columns is not None else None,
        include_bom=request.include_bom,
        estimated_row_count=count,
        requested_at=now,
        expires_at=now + timedelta(days=RETENTION_DAYS),
    )


class CancelOutcome(msgspec.Struct, frozen=True, kw_only=True):
    export: ExportView
    # False when the export had been cancelled already.
    changed: bool


class ExportService:
    def __init__(
        self,
        *,
        publisher: Publisher,
        store: ItemStore,
        states: ExportStates,
        database: ExportDatabase,
        signer: LinkSigner,
        clock: Callable[[], datetime],
        new_id: Callable[[], uuid.UUID] = uuid.uuid4,
    ) -> None:
        self._states = states
        self._database = database
        self._signer = signer
        self._submitter = Submitter(
            keys=IdempotencyStore(store, scope=EXPORTS), publisher=publisher
        )
        self._acceptance = Acceptance(
            # A retry finds the job recorded already; creating it is then a no-op.
            record=lambda envelope: self._states.create(job_for(envelope)),
            # The job cannot be deleted, only made terminal so that nobody ever runs it.
            withdraw=lambda envelope: self._states.request_cancel(
                job_for(envelope).export_id, now=envelope.occurred_at
            ),
            bulky_field="filters",
        )
        self._clock = clock
        self._new_id = new_id

    def request(
        self,
        body: bytes,
        *,
        principal: Principal,
        correlation_id: str,
        idempotency_key: str | None = None,
    ) -> AcceptedExport:
        attempt = Attempt.of(
            tenant_id=principal.tenant,
            caller=principal.sub,
            correlation_id=correlation_id,
            idempotency_key=idempotency_key,
            now=self._clock(),
        )
        request = decode_export_request(body)
        try:
            export = resolve(request)
        except ValidationFailed as exc:
            raise InvalidExport(exc.errors) from exc
        request = msgspec.structs.replace(
            request, notify=list(recipients(request.notify, principal))
        )

        def prepare() -> Submission[AcceptedExport]:
            # Counted only for a new request: a retry answers with the first count.
            count = self._count(export, tenant_id=principal.tenant)
            check_row_limit(count, request.format)
            export_id = self._new_id()
            event = requested_event(
                request, export_id, principal=principal, count=count, now=attempt.now
            )
            accepted = accepted_export(export_id, estimated_row_count=count)
            return Submission(event, accepted.export_id, accepted)

        return self._submitter.submit(
            prepare,
            self._acceptance,
            attempt,
            request_fingerprint=fingerprint(request),
            answer_type=AcceptedExport,
        )

    def _count(self, export: ResolvedExport, *, tenant_id: str) -> int:
        query = count_query(export, tenant_id=tenant_id)
        with dependency(DATABASE):
            return self._database.count_rows(query)

    def get(self, export_id: uuid.UUID, *, principal: Principal) -> ExportView:
        job, now = self._visible(export_id, principal=principal)
        download = None
        if job.status is JobStatus.COMPLETED and job.object_key:
            download = DownloadLink(
                url=self._signer.download_url(
                    job.object_key, expires_in_seconds=API_LINK_TTL_SECONDS
                ),
                expires_at=min(now + timedelta(seconds=API_LINK_TTL_SECONDS), job.expires_at),
            )
        return self._view(job, download=download)

    def cancel(self, export_id: uuid.UUID, *, principal: Principal) -> CancelOutcome:
        job, now = self._visible(export_id, principal=principal)
        if job.status is JobStatus.CANCELLED:
            return CancelOutcome(export=self._view(job), changed=False)
        if job.status.is_terminal:
            raise ExportFinished(
                f"export {export_id} is {job.status.value} and cannot be cancelled"
            )
        with dependency(STATE_STORE):
            current = self._states.request_cancel(export_id, now=now)
        if current is None:
            raise ExportNotFound(f"export {export_id} not found")
        if current.status in (JobStatus.COMPLETED, JobStatus.FAILED):
            # It finished between the read and the cancel request.
            raise ExportFinished(
                f"export {export_id} is {current.status.value} and cannot be cancelled"
            )
        logger.info("export cancel requested", export_id=str(export_id), status=current.status)
        return CancelOutcome(export=self._view(current), changed=True)

    def list(
        self,
        *,
        principal: Principal,
        status: JobStatus | None = None,
        page: int = 1,
        limit: int,
    ) -> ExportPage:
        listing = ExportListing(
            tenant_id=principal.tenant,
            requested_by=None if principal.has_role(ADMIN_ROLE) else principal.sub,
            status=status,
            page=page,
            limit=limit,
        )
        with dependency(DATABASE):
            found = self._database.list_exports(listing)
        return ExportPage(
            items=[
                export_view(entry, progress_percentage=catalogue_progress(entry.status))
                for entry in found.entries
            ],
            page=page,
            limit=limit,
            total=found.total,
        )

    def _visible(self, export_id: uuid.UUID, *, principal: Principal) -> tuple[ExportJob, datetime]:
        """The job if the caller may see it, with the time it was read at."""
        with dependency(STATE_STORE):
            job = self._states.get(export_id)
        if job is None or not is_visible(
            principal, tenant_id=job.tenant_id, requested_by=job.requested_by
        ):
            raise ExportNotFound(f"export {export_id} not found")
        now = self._clock()
        if has_expired(job.expires_at, now=now):
            raise ExportExpired(f"export {export_id} expired at {job.expires_at.isoformat()}")
        return job, now

    @staticmethod
    def _view(job: ExportJob, *, download: DownloadLink | None = None) -> ExportView:
        return export_view(
            job,
            progress_percentage=job.progress_percentage,
            cancel_requested=job.cancel_requested,
            download=download,
        )
