"""The files use cases: uploading (streamed or presigned), completing a presigned
upload, reading, listing and cancelling imports.

Free of HTTP. Uploading and completing are coroutines on the event loop, like every
accepted request (conveyor_producer.acceptance), whose blocking steps (storing the file,
checking the stored object) run in handler threads. The rest blocks (boto3, psycopg):
the routes call it from handler threads.
The live state (DynamoDB) answers point reads; the processor's PostgreSQL
import_jobs table answers listings, and may lag the live state by a moment.
"""

from __future__ import annotations

import asyncio
import uuid
from functools import partial

import msgspec

from conveyor_aws import clients
from conveyor_aws.state_store import ItemStore
from conveyor_common.clock import Clock
from conveyor_common.envelope import Envelope
from conveyor_common.errors import FieldError
from conveyor_common.imports.job import ImportJob
from conveyor_common.imports.model import (
    API_LINK_TTL_SECONDS,
    FileType,
    ImportMode,
)
from conveyor_common.jobs import JobStatus
from conveyor_producer.acceptance.idempotency import fingerprint
from conveyor_producer.acceptance.idempotency_store import IdempotencyStore, Scope
from conveyor_producer.acceptance.ports import Publisher
from conveyor_producer.acceptance.submitter import Acceptance, Attempt, Submission, Submitter
from conveyor_producer.imports.errors import (
    EmptyFile,
    FileFinished,
    FileNotFound,
    InvalidFileRequest,
    UploadExpired,
    UploadMismatch,
    UploadMissing,
)
from conveyor_producer.imports.form import UploadedForm
from conveyor_producer.imports.jobs import job_for, queued_job, uploaded_event
from conveyor_producer.imports.ports import ImportHistory, ImportStates, UploadLimits, UploadStorage
from conveyor_producer.imports.requests import decode_presigned_request
from conveyor_producer.imports.rules import file_type_of, import_mode, notify_field, recipients
from conveyor_producer.imports.upload_window import (
    UploadWindow,
    WindowState,
    as_abandoned,
    not_completed_reason,
    opened_window,
)
from conveyor_producer.imports.views import (
    AcceptedFile,
    FilePage,
    FileStatus,
    FileView,
    PresignedUpload,
    accepted_file,
    file_links,
    file_view,
)
from conveyor_producer.imports.window_store import UploadWindows
from conveyor_producer.jobs.access import CancelOutcome, JobAccess, JobWording
from conveyor_producer.jobs.pages import listed_page
from conveyor_producer.outages import STATE_STORE, outages_of
from conveyor_producer.principal import Principal

# Uploads' Idempotency-Key records, and the records that make `complete` publish once.
UPLOAD_KEYS = Scope(sort_key="FILES", id_attribute="file_id")
COMPLETE_KEYS = Scope(sort_key="FILE_COMPLETES", id_attribute="file_id")
FILE_STORE = "file store"
# An upload's AWS calls (storing up to the upload limit, then record and publish) wait
# at most this long together: the API-wide budget is sized for small JSON bodies.
UPLOAD_AWS_BUDGET_SECONDS = 30.0
FILE_WORDING = JobWording(
    noun="file",
    activity="import",
    id_field="file_id",
    not_found=FileNotFound,
    finished=FileFinished,
)


class UploadFingerprint(msgspec.Struct, frozen=True, kw_only=True):
    """What makes two uploads the same request: the same bytes, mode and recipients."""

    sha256: str
    mode: ImportMode
    notify: tuple[str, ...]


class UploadDetails(msgspec.Struct, frozen=True, kw_only=True):
    file_type: FileType
    mode: ImportMode
    notify: tuple[str, ...]


class FileService:
    def __init__(
        self,
        *,
        publisher: Publisher,
        state_table: ItemStore,
        states: ImportStates,
        history: ImportHistory,
        storage: UploadStorage,
        limits: UploadLimits,
        clock: Clock,
    ) -> None:
        self._states = states
        self._access = JobAccess(states, wording=FILE_WORDING)
        self._history = history
        self._storage = storage
        self.limits = limits
        self._clock = clock
        self._windows = UploadWindows(state_table)
        self._uploads = Submitter(
            keys=IdempotencyStore(state_table, scope=UPLOAD_KEYS), publisher=publisher
        )
        self._completes = Submitter(
            keys=IdempotencyStore(state_table, scope=COMPLETE_KEYS), publisher=publisher
        )
        self._acceptance = Acceptance(
            record=self._record_queued,
            withdraw=self._withdraw_queued,
            bulky_field="notify",
            invalid=InvalidFileRequest,
        )

    async def upload(
        self,
        form: UploadedForm,
        *,
        principal: Principal,
        correlation_id: str,
        idempotency_key: str | None = None,
    ) -> AcceptedFile:
        attempt = Attempt.by(
            principal,
            correlation_id=correlation_id,
            idempotency_key=idempotency_key,
            now=self._clock(),
        )
        details = self._details(form, principal)
        same = UploadFingerprint(sha256=form.sha256, mode=details.mode, notify=details.notify)

        async def prepare() -> Submission[AcceptedFile]:
            return await asyncio.to_thread(self._new_upload, form, details, attempt)

        with clients.deadline(UPLOAD_AWS_BUDGET_SECONDS):
            return await self._uploads.submit(
                prepare,
                self._acceptance,
                attempt,
                request_fingerprint=partial(fingerprint, same),
                answer_type=AcceptedFile,
            )

    def presign(self, body: bytes, *, principal: Principal) -> PresignedUpload:
        request = decode_presigned_request(body)
        if request.size_bytes > self.limits.max_presigned_bytes:
            limit = self.limits.max_presigned_bytes
            raise InvalidFileRequest([FieldError("sizeBytes", f"must be at most {limit}")])
        now = self._clock()
        job = queued_job(
            file_id=uuid.uuid4(),
            tenant_id=principal.tenant,
            requested_by=principal.sub,
            original_name=request.file_name,
            bucket=self._storage.bucket,
            file_type=file_type_of(request.content_type, request.file_name),
            size_bytes=request.size_bytes,
            mode=request.mode,
            notify=recipients(request.notify, principal),
            now=now,
        )
        window = opened_window(now=now, limits=self.limits, kept_until=job.expires_at)
        with outages_of(STATE_STORE):
            # The window first: a presigned file's job never goes without one.
            self._windows.open(job.file_id, window)
            self._states.create(job)
        return self._presigned(job, window)

    async def complete(
        self, file_id: uuid.UUID, *, principal: Principal, correlation_id: str
    ) -> AcceptedFile:
        """Starts the import of a presigned upload once its object is there, as declared."""
        job = await asyncio.to_thread(self._completable, file_id, principal)
        if job is None:
            # Started (or cancelled) already: its FileUploaded went out before.
            return accepted_file(file_id)
        # Keyed by the file itself, whoever completes it: FileUploaded goes out once.
        attempt = Attempt(
            tenant_id=job.tenant_id,
            caller=job.requested_by,
            correlation_id=correlation_id,
            key=f"complete:{file_id}",
            now=self._clock(),
        )

        async def prepare() -> Submission[AcceptedFile]:
            event = uploaded_event(job, uploaded_at=attempt.now)
            return Submission(event, str(file_id), accepted_file(file_id))

        return await self._completes.submit(
            prepare,
            self._acceptance,
            attempt,
            request_fingerprint=lambda: str(file_id),
            answer_type=AcceptedFile,
        )

    def _completable(self, file_id: uuid.UUID, principal: Principal) -> ImportJob | None:
        """The QUEUED job of a presigned upload whose object is stored as declared, its
        window now ended as completed; None once an earlier complete started it."""
        job = self._visible(file_id, principal=principal)
        if job.status is not JobStatus.QUEUED:
            self._check_started(job)
            return None
        window = self._open_window(job)
        self._check_stored(job)
        if window is not None:
            self._complete_window(job, window)
        return job

    def get(self, file_id: uuid.UUID, *, principal: Principal) -> FileView:
        job = self._read(file_id, principal=principal)
        report_url = None
        if job.rows_rejected and job.error_report_key:
            report_url = self._storage.download_url(
                job.error_report_key, expires_in_seconds=API_LINK_TTL_SECONDS
            )
        return file_view(
            job, progress_percentage=job.progress_percentage, error_report_url=report_url
        )

    def cancel(self, file_id: uuid.UUID, *, principal: Principal) -> CancelOutcome[FileView]:
        job = self._read(file_id, principal=principal)
        return self._access.cancel(file_id, job, now=self._clock()).shown(self._view)

    def list(
        self, *, principal: Principal, status: JobStatus | None = None, page: int = 1, limit: int
    ) -> FilePage:
        items, total = listed_page(
            self._history,
            lambda job, progress: file_view(job, progress_percentage=progress),
            principal=principal,
            status=status,
            page=page,
            limit=limit,
        )
        return FilePage(items=items, page=page, limit=limit, total=total)

    def _details(self, form: UploadedForm, principal: Principal) -> UploadDetails:
        """What the form asks for; 400 for an empty file, 415 for another type, 422 else."""
        if form.size_bytes == 0:
            raise EmptyFile(f"{form.file_name!r} holds no byte")
        return UploadDetails(
            file_type=file_type_of(form.content_type, form.file_name),
            mode=import_mode(form.fields.get("mode")),
            notify=recipients(notify_field(form.fields.get("notify")), principal),
        )

    def _new_upload(
        self, form: UploadedForm, details: UploadDetails, attempt: Attempt
    ) -> Submission[AcceptedFile]:
        # Stored only for a new request: a retry answers with the first upload.
        job = queued_job(
            file_id=uuid.uuid4(),
            tenant_id=attempt.tenant_id,
            requested_by=attempt.caller,
            original_name=form.file_name,
            bucket=self._storage.bucket,
            file_type=details.file_type,
            size_bytes=form.size_bytes,
            mode=details.mode,
            notify=details.notify,
            now=attempt.now,
            sha256=form.sha256,
        )
        with outages_of(FILE_STORE):
            self._storage.store(
                form.file, key=job.object_key, content_type=job.file_type.content_type
            )
        event = uploaded_event(job, uploaded_at=attempt.now)
        return Submission(event, str(job.file_id), accepted_file(job.file_id))

    def _presigned(self, job: ImportJob, window: UploadWindow) -> PresignedUpload:
        # Bound to the type's own name, which `complete` checks the stored object against.
        post = self._storage.presigned_post(
            job.object_key,
            content_type=job.file_type.content_type,
            max_size_bytes=self.limits.max_presigned_bytes,
            expires_in_seconds=self.limits.presigned_post_seconds,
        )
        links = file_links(job.file_id)
        return PresignedUpload(
            file_id=str(job.file_id),
            status=FileStatus.PENDING,
            url=post.url,
            fields=post.fields,
            expires_at=window.post_expires_at,
            max_size_bytes=self.limits.max_presigned_bytes,
            links={**links, "complete": f"{links['self']}/complete"},
        )

    def _check_stored(self, job: ImportJob) -> None:
        with outages_of(FILE_STORE):
            stored = self._storage.stat(job.object_key)
        if stored is None:
            raise UploadMissing(f"nothing is stored for file {job.file_id} yet")
        errors = []
        if stored.size_bytes != job.file_size_bytes:
            errors.append(
                FieldError(
                    "sizeBytes", f"{job.file_size_bytes} declared, {stored.size_bytes} stored"
                )
            )
        if FileType.from_content_type(stored.content_type or "") is not job.file_type:
            errors.append(
                FieldError(
                    "contentType",
                    f"{job.file_type.content_type} declared, {stored.content_type} stored",
                )
            )
        if errors:
            raise UploadMismatch(errors)

    def _visible(self, file_id: uuid.UUID, *, principal: Principal) -> ImportJob:
        return self._access.visible(file_id, principal=principal)

    def _read(self, file_id: uuid.UUID, *, principal: Principal) -> ImportJob:
        """The file as callers see it: FAILED once its presigned upload ended unused."""
        job = self._visible(file_id, principal=principal)
        if job.status is not JobStatus.QUEUED:
            return job
        window = self._window(file_id)
        if window is not None and window.state is WindowState.EXPIRED:
            return as_abandoned(job, window)
        return job

    def _window(self, file_id: uuid.UUID) -> UploadWindow | None:
        """A presigned file's window as it now is (None for a streamed file). The first
        read or complete past its closing time ends it EXPIRED, unless a complete has
        ended it COMPLETED first."""
        with outages_of(STATE_STORE):
            window = self._windows.get(file_id)
            if window is None or not window.is_overdue(now=self._clock()):
                return window
            expired = self._windows.end(file_id, window, WindowState.EXPIRED)
        return window.ended(WindowState.EXPIRED if expired else WindowState.COMPLETED)

    def _open_window(self, job: ImportJob) -> UploadWindow | None:
        """A presigned file's window, 410 once it ended unused; None for a streamed file."""
        window = self._window(job.file_id)
        if window is not None and window.state is WindowState.EXPIRED:
            raise UploadExpired(f"{not_completed_reason(window)}; start a new presigned upload")
        return window

    def _check_started(self, job: ImportJob) -> None:
        """A job past QUEUED was started by an earlier complete, unless it ended before
        one took (cancelled while its window was open): then no import will ever run,
        and this complete is refused rather than answered 202."""
        window = self._open_window(job)
        if window is not None and window.state is not WindowState.COMPLETED:
            status = job.status.value.lower()
            raise FileFinished(f"the import was {status} before its file was completed")

    def _complete_window(self, job: ImportJob, window: UploadWindow) -> None:
        """Ends the window as completed before FileUploaded goes out: from then on it
        never expires. 410 if a read past its closing time ended it first."""
        if window.state is WindowState.COMPLETED:
            return
        with outages_of(STATE_STORE):
            completed = self._windows.end(job.file_id, window, WindowState.COMPLETED)
        if not completed:
            raise UploadExpired(f"{not_completed_reason(window)}; start a new presigned upload")

    @staticmethod
    def _view(job: ImportJob) -> FileView:
        return file_view(job, progress_percentage=job.progress_percentage)

    async def _record_queued(self, envelope: Envelope) -> None:
        # A retry, or a presigned upload's complete, finds the job recorded: a no-op.
        await asyncio.to_thread(self._states.create, job_for(envelope))

    async def _withdraw_queued(self, envelope: Envelope) -> None:
        # The job cannot be deleted, only made terminal so that nobody ever runs it.
        file_id = job_for(envelope).file_id
        await asyncio.to_thread(self._states.request_cancel, file_id, now=envelope.occurred_at)
