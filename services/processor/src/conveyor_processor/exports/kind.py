"""Exports as a kind of job: render the requested rows into a file in S3, keep the job
in the history, announce the file or the failure. The job runner does the rest."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from conveyor_common.envelope import Envelope
from conveyor_common.events import ExportCompleted, ExportFailed, ExportRequested
from conveyor_common.exports.job import ExportJob, ExportResult, object_key, object_prefix
from conveyor_common.exports.model import ExportRequest
from conveyor_common.exports.registry import resolve
from conveyor_common.log import get_logger
from conveyor_processor.exports.naming import file_name
from conveyor_processor.exports.outcome_events import outcome_event
from conveyor_processor.exports.ports import ExportFiles, ExportHistory, Renderer
from conveyor_processor.exports.readable import NOUN, readable_export_reason
from conveyor_processor.jobs.ports import JobProgress
from conveyor_processor.jobs.runner import JobRunner

logger = get_logger(__name__)


@dataclass(frozen=True)
class ExportJobs:
    """The export's hooks into the job runner (jobs.ports.JobHooks)."""

    history: ExportHistory
    files: ExportFiles
    render: Renderer

    @property
    def noun(self) -> str:
        return NOUN

    def request(self, envelope: Envelope) -> ExportRequested:
        return envelope.of(ExportRequested).payload

    def job_id(self, request: ExportRequested) -> uuid.UUID:
        return request.export_id

    def estimated_total(self, job: ExportJob) -> int:
        return job.estimated_row_count

    def clean_up_earlier_attempts(self, job: ExportJob) -> None:
        """Abort the multipart uploads that earlier attempts left open: a killed worker
        never aborts its own, and S3 would keep (and bill) their parts until the
        bucket's lifecycle rule, a backstop that emulators never run."""
        aborted = self.files.abort_uploads(object_prefix(job))
        if aborted:
            logger.info("aborted uploads of earlier attempts", uploads=aborted)

    def record(self, job: ExportJob) -> None:
        self.history.upsert(job)

    def run(
        self, job: ExportJob, request: ExportRequested, *, progress: JobProgress
    ) -> ExportResult:
        name = file_name(title=job.title, resource=job.resource, requested_at=request.requested_at)
        key = object_key(job, name)
        export = resolve(_export_request(request))
        with self.files.open(
            key, content_type=job.format.content_type, file_name=f"{name}.{job.format.value}"
        ) as sink:
            rows = self.render(job, export, sink=sink, progress=progress)
        return ExportResult(object_key=key, actual_row_count=rows, file_size_bytes=sink.tell())

    def readable_reason(self, exc: BaseException) -> str:
        return readable_export_reason(exc)

    def outcome_event(
        self, job: ExportJob, *, now: datetime
    ) -> ExportCompleted | ExportFailed | None:
        return outcome_event(job, files=self.files, now=now)


ExportRunner = JobRunner[ExportJob, ExportResult, ExportRequested]


def _export_request(payload: ExportRequested) -> ExportRequest:
    return ExportRequest(
        resource=payload.resource,
        format=payload.format,
        filters=payload.filters,
        columns=list(payload.columns) if payload.columns is not None else None,
        title=payload.title,
        notify=list(payload.notify),
        include_bom=payload.include_bom,
    )
