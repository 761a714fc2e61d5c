"""The exports use cases: requesting, reading, listing and cancelling exports.

Free of HTTP. Reads, listings and cancels block (boto3, psycopg): the routes call them
from handler threads. A request is a coroutine on the event loop, like every accepted
request (conveyor_producer.acceptance), whose blocking steps run in handler threads.
The live state (DynamoDB) answers point reads; the processor's PostgreSQL
export_jobs table answers listings, and may lag the live state by a moment.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from functools import partial

import msgspec

from conveyor_aws.state_store import ItemStore
from conveyor_common.clock import Clock
from conveyor_common.envelope import Envelope
from conveyor_common.errors import ValidationFailed
from conveyor_common.exports.job import ExportJob
from conveyor_common.exports.model import API_LINK_TTL_SECONDS, ExportRequest
from conveyor_common.exports.query import count_query
from conveyor_common.exports.registry import ResolvedExport, resolve
from conveyor_common.jobs import JobStatus
from conveyor_producer.acceptance.idempotency import fingerprint
from conveyor_producer.acceptance.idempotency_store import IdempotencyStore, Scope
from conveyor_producer.acceptance.ports import Publisher
from conveyor_producer.acceptance.submitter import Acceptance, Attempt, Submission, Submitter
from conveyor_producer.exports.errors import (
    ExportExpired,
    ExportFinished,
    ExportNotFound,
    InvalidExport,
)
from conveyor_producer.exports.jobs import job_for, requested_event
from conveyor_producer.exports.ports import ExportHistory, ExportStates, LinkSigner, RowCounter
from conveyor_producer.exports.requests import decode_export_request
from conveyor_producer.exports.rules import check_row_limit, has_expired, recipients
from conveyor_producer.exports.views import (
    AcceptedExport,
    DownloadLink,
    ExportPage,
    ExportView,
    accepted_export,
    export_view,
)
from conveyor_producer.jobs.access import CancelOutcome, JobAccess, JobWording
from conveyor_producer.jobs.pages import listed_page
from conveyor_producer.outages import DATABASE, outages_of
from conveyor_producer.principal import Principal

# The exports' Idempotency-Key records: sk=EXPORTS, naming the export_id they created.
EXPORT_KEYS = Scope(sort_key="EXPORTS", id_attribute="export_id")
EXPORT_WORDING = JobWording(
    noun="export",
    activity="export",
    id_field="export_id",
    not_found=ExportNotFound,
    finished=ExportFinished,
)


class ExportService:
    def __init__(
        self,
        *,
        publisher: Publisher,
        state_table: ItemStore,
        states: ExportStates,
        row_counter: RowCounter,
        history: ExportHistory,
        signer: LinkSigner,
        clock: Clock,
    ) -> None:
        self._states = states
        self._access = JobAccess(states, wording=EXPORT_WORDING)
        self._row_counter = row_counter
        self._history = history
        self._signer = signer
        self._submitter = Submitter(
            keys=IdempotencyStore(state_table, scope=EXPORT_KEYS), publisher=publisher
        )
        self._acceptance = Acceptance(
            record=self._record_queued,
            withdraw=self._withdraw_queued,
            bulky_field="filters",
            invalid=InvalidExport,
        )
        self._clock = clock

    async def request(
        self,
        body: bytes,
        *,
        principal: Principal,
        correlation_id: str,
        idempotency_key: str | None = None,
    ) -> AcceptedExport:
        attempt = Attempt.by(
            principal,
            correlation_id=correlation_id,
            idempotency_key=idempotency_key,
            now=self._clock(),
        )
        request, export = self._checked(decode_export_request(body), principal)

        async def prepare() -> Submission[AcceptedExport]:
            # Counting the rows blocks (PostgreSQL): a handler thread, as every wait on it.
            return await asyncio.to_thread(self._new_export, request, export, attempt)

        return await self._submitter.submit(
            prepare,
            self._acceptance,
            attempt,
            request_fingerprint=partial(fingerprint, request),
            answer_type=AcceptedExport,
        )

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

    def cancel(self, export_id: uuid.UUID, *, principal: Principal) -> CancelOutcome[ExportView]:
        job, now = self._visible(export_id, principal=principal)
        return self._access.cancel(export_id, job, now=now).shown(self._view)

    def list(
        self,
        *,
        principal: Principal,
        status: JobStatus | None = None,
        page: int = 1,
        limit: int,
    ) -> ExportPage:
        items, total = listed_page(
            self._history,
            lambda job, progress: export_view(job, progress_percentage=progress),
            principal=principal,
            status=status,
            page=page,
            limit=limit,
        )
        return ExportPage(items=items, page=page, limit=limit, total=total)

    def _checked(
        self, request: ExportRequest, principal: Principal
    ) -> tuple[ExportRequest, ResolvedExport]:
        """The request with its recipients settled, and what the resource registry makes of it."""
        try:
            export = resolve(request)
        except ValidationFailed as exc:
            raise InvalidExport(exc.errors) from exc
        notify = list(recipients(request.notify, principal))
        return msgspec.structs.replace(request, notify=notify), export

    def _new_export(
        self, request: ExportRequest, export: ResolvedExport, attempt: Attempt
    ) -> Submission[AcceptedExport]:
        # Counted only for a new request: a retry answers with the first count.
        query = count_query(export, tenant_id=attempt.tenant_id)
        with outages_of(DATABASE):
            count = self._row_counter.count_rows(query)
        check_row_limit(count, request.format)
        export_id = uuid.uuid4()
        event = requested_event(
            request, export_id, requested_by=attempt.caller, count=count, now=attempt.now
        )
        accepted = accepted_export(export_id, estimated_row_count=count)
        return Submission(event, accepted.export_id, accepted)

    def _visible(self, export_id: uuid.UUID, *, principal: Principal) -> tuple[ExportJob, datetime]:
        """The job if the caller may see it, with the time it was read at."""
        job = self._access.visible(export_id, principal=principal)
        now = self._clock()
        if has_expired(job.expires_at, now=now):
            raise ExportExpired(f"export {export_id} expired at {job.expires_at.isoformat()}")
        return job, now

    @staticmethod
    def _view(job: ExportJob, *, download: DownloadLink | None = None) -> ExportView:
        return export_view(job, progress_percentage=job.progress_percentage, download=download)

    async def _record_queued(self, envelope: Envelope) -> None:
        # A retry finds the job recorded already; creating it is then a no-op.
        await asyncio.to_thread(self._states.create, job_for(envelope))

    async def _withdraw_queued(self, envelope: Envelope) -> None:
        # The job cannot be deleted, only made terminal so that nobody ever runs it.
        job_id = job_for(envelope).export_id
        await asyncio.to_thread(self._states.request_cancel, job_id, now=envelope.occurred_at)
