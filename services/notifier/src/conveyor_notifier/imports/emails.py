"""The import e-mails: an uploaded file's counts (and error report), or why it failed."""

from __future__ import annotations

from types import MappingProxyType

from conveyor_aws.mail import Email
from conveyor_common.envelope import Envelope
from conveyor_common.events import FileFailed, FileProcessed
from conveyor_common.imports.model import ImportMode
from conveyor_notifier.emails import (
    EmailKind,
    EmailKinds,
    checked_link,
    recipients,
    render_email,
)
from conveyor_notifier.formatting import count, one_line, timestamp

FILE_PROCESSED = "file_processed"
FILE_FAILED = "file_failed"


def render_file_processed(envelope: Envelope) -> Email:
    """The outcome e-mail for a FileProcessed envelope: the counts and, when rows were
    rejected, the link to the error report."""
    event = envelope.of(FileProcessed).payload
    name = _file_name(event)
    dry_run = event.mode == ImportMode.VALIDATE
    outcome = "was checked (dry run)" if dry_run else "was imported"
    return render_email(
        "imports/processed",
        to=recipients(event.notify),
        subject=f'Your file "{name}" {outcome}',
        context={
            "file": event,
            "name": name,
            "dry_run": dry_run,
            "counts": _counts(event, dry_run=dry_run),
            "report_url": _report_url(event),
            "report_expires": (
                timestamp(event.error_report_url_expires_at)
                if event.error_report_url_expires_at is not None
                else None
            ),
        },
    )


def render_file_failed(envelope: Envelope) -> Email:
    """The failure e-mail for a FileFailed envelope: the reason, which locates the problem."""
    event = envelope.of(FileFailed).payload
    name = _file_name(event)
    return render_email(
        "imports/failed",
        to=recipients(event.notify),
        subject=f'Your file "{name}" could not be processed',
        context={"file": event, "name": name, "dry_run": event.mode == ImportMode.VALIDATE},
    )


EMAIL_KINDS: EmailKinds = MappingProxyType(
    {
        FileProcessed.event_type: EmailKind(FILE_PROCESSED, render_file_processed),
        FileFailed.event_type: EmailKind(FILE_FAILED, render_file_failed),
    }
)


def _file_name(event: FileProcessed | FileFailed) -> str:
    # The name is user input: one line, so it cannot add lines to the subject.
    return one_line(event.original_name) or str(event.file_id)


def _counts(event: FileProcessed, *, dry_run: bool) -> tuple[tuple[str, str], ...]:
    """The counts as (label, figure) rows; a dry run wrote nothing, so it says 'valid'."""
    return (
        ("Rows", count(event.rows_total)),
        ("Valid" if dry_run else "Imported", count(event.rows_imported)),
        ("Unchanged", count(event.rows_unchanged)),
        ("Rejected", count(event.rows_rejected)),
    )


def _report_url(event: FileProcessed) -> str | None:
    """The error report's link, only when rows were rejected and a link was made."""
    if not event.rows_rejected or event.error_report_url is None:
        return None
    return checked_link(event.error_report_url)
