"""Imports as a kind of job: read the uploaded file, upsert its valid orders in batches,
report its rejected rows, keep the job in the history, announce the outcome. The job
runner does the rest."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime

from conveyor_aws.failures import is_transient
from conveyor_common.envelope import Envelope
from conveyor_common.events import FileFailed, FileProcessed, FileUploaded
from conveyor_common.imports.job import ImportJob, ImportResult
from conveyor_common.imports.model import FileType, ImportMode, error_report_key
from conveyor_common.log import get_logger
from conveyor_processor.imports.csv_orders import csv_orders
from conveyor_processor.imports.file_order import FileOrder
from conveyor_processor.imports.importer import BATCH_ORDERS, Counts, FileImport, ImportTarget
from conveyor_processor.imports.json_orders import json_array_orders, ndjson_orders
from conveyor_processor.imports.outcome_events import outcome_event
from conveyor_processor.imports.ports import ImportFiles, ImportHistory, OrderUpserts
from conveyor_processor.imports.readable import NOUN, readable_import_reason
from conveyor_processor.imports.report import ErrorReport
from conveyor_processor.imports.source import CountingReader, utf8_lines
from conveyor_processor.jobs.failures import Cancelled, FailedPartway, LeaseLost
from conveyor_processor.jobs.ports import JobProgress
from conveyor_processor.jobs.runner import JobRunner

logger = get_logger(__name__)

# The error report's value column of a JSON order: the order as the file gave it.
JSON_VALUE_COLUMNS = ("order",)


@dataclass(frozen=True)
class ImportJobs:
    """The import's hooks into the job runner (jobs.ports.JobHooks)."""

    history: ImportHistory
    files: ImportFiles
    upserts: OrderUpserts
    batch_orders: int = BATCH_ORDERS

    @property
    def noun(self) -> str:
        return NOUN

    def request(self, envelope: Envelope) -> FileUploaded:
        return envelope.of(FileUploaded).payload

    def job_id(self, request: FileUploaded) -> uuid.UUID:
        return request.file_id

    def estimated_total(self, job: ImportJob) -> int:
        # Progress is in bytes read of the file.
        return job.file_size_bytes

    def clean_up_earlier_attempts(self, job: ImportJob) -> None:
        """Abort the error report's multipart upload that a killed attempt left open."""
        aborted = self.files.abort_uploads(job.bucket, error_report_key(job.tenant_id, job.file_id))
        if aborted:
            logger.info("aborted uploads of earlier attempts", uploads=aborted)

    def record(self, job: ImportJob) -> None:
        self.history.upsert(job)

    def run(self, job: ImportJob, request: FileUploaded, *, progress: JobProgress) -> ImportResult:
        key = error_report_key(job.tenant_id, job.file_id)
        target = ImportTarget(
            tenant_id=job.tenant_id,
            uploaded_at=request.uploaded_at,
            write=job.mode is ImportMode.IMPORT,
        )
        with closing(self.files.open_upload(request.bucket, request.object_key)) as body:  # type: ignore[type-var]
            reader = CountingReader(body)
            columns: list[str] = [] if job.file_type is FileType.CSV else [*JSON_VALUE_COLUMNS]
            orders = self._orders(job, reader, columns)
            with (
                self.upserts.session(source=f"file:{job.file_id}") as session,
                ErrorReport(
                    lambda: self.files.open_report(job.bucket, key), value_columns=columns
                ) as report,
            ):
                run = FileImport(
                    target,
                    session=session,
                    report=report,
                    progress=lambda rows: progress(reader.bytes_read, rows=rows),
                    batch_orders=self.batch_orders,
                )
                try:
                    counts = run.run(orders)
                except Cancelled as exc:
                    raise Cancelled(partial_result=_result(run.committed, None)) from exc
                except Exception as exc:
                    _raise_partway(exc, run.committed, wrote=target.write)
                    raise
        return _result(counts, key if report.written else None)

    def _orders(
        self, job: ImportJob, reader: CountingReader, columns: list[str]
    ) -> Iterator[FileOrder]:
        if job.file_type is FileType.CSV:
            return csv_orders(utf8_lines(reader.chunks()), header=columns)
        if job.file_type is FileType.NDJSON:
            return ndjson_orders(utf8_lines(reader.chunks()))
        return json_array_orders(
            reader, again=lambda: self.files.open_upload(job.bucket, job.object_key)
        )

    def readable_reason(self, exc: BaseException) -> str:
        return readable_import_reason(exc)

    def outcome_event(self, job: ImportJob, *, now: datetime) -> FileProcessed | FileFailed | None:
        return outcome_event(job, files=self.files, now=now)


ImportRunner = JobRunner[ImportJob, ImportResult, FileUploaded]


def _raise_partway(exc: Exception, committed: Counts, *, wrote: bool) -> None:
    """A file that fails for good (malformed past its first batches) keeps the orders its
    committed batches wrote: the failed job then says how many, as a cancelled one does.
    A transient failure is retried instead, and the retry writes the same orders again."""
    # A lost lease is no failure: the job's new owner finishes it.
    if isinstance(exc, LeaseLost) or is_transient(exc):
        return
    if wrote and committed.rows_imported:
        rows = committed.rows_imported
        message = f"the {rows} rows of orders before it were imported"
        raise FailedPartway(message, partial_result=_result(committed, None)) from exc


def _result(counts: Counts, report_key: str | None) -> ImportResult:
    return ImportResult(
        rows_total=counts.rows_total,
        rows_imported=counts.rows_imported,
        rows_unchanged=counts.rows_unchanged,
        rows_rejected=counts.rows_rejected,
        error_report_key=report_key,
    )
