"""The export e-mails: the download link once an export is ready, or why it failed."""

from __future__ import annotations

from types import MappingProxyType

from conveyor_aws.mail import Email
from conveyor_common.envelope import Envelope
from conveyor_common.events import ExportCompleted, ExportFailed
from conveyor_notifier.emails import (
    EmailKind,
    EmailKinds,
    checked_link,
    recipients,
    render_email,
)
from conveyor_notifier.formatting import count, file_size, one_line, timestamp

EXPORT_COMPLETED = "export_completed"
EXPORT_FAILED = "export_failed"


def render_export_completed(envelope: Envelope) -> Email:
    """The download e-mail for an ExportCompleted envelope."""
    event = envelope.of(ExportCompleted).payload
    checked_link(event.download_url)
    title = _export_title(event)
    return render_email(
        "exports/completed",
        to=recipients(event.notify),
        subject=f'Your export "{title}" is ready',
        context={
            "export": event,
            "title": title,
            "format_label": event.format.upper(),
            "rows": count(event.row_count),
            "size": file_size(event.size_bytes),
            "link_expires": timestamp(event.download_url_expires_at),
            "export_expires": timestamp(event.expires_at),
        },
    )


def render_export_failed(envelope: Envelope) -> Email:
    """The failure e-mail for an ExportFailed envelope."""
    event = envelope.of(ExportFailed).payload
    title = _export_title(event)
    return render_email(
        "exports/failed",
        to=recipients(event.notify),
        subject=f'Your export "{title}" failed',
        context={"export": event, "title": title, "format_label": event.format.upper()},
    )


EMAIL_KINDS: EmailKinds = MappingProxyType(
    {
        ExportCompleted.event_type: EmailKind(EXPORT_COMPLETED, render_export_completed),
        ExportFailed.event_type: EmailKind(EXPORT_FAILED, render_export_failed),
    }
)


def _export_title(event: ExportCompleted | ExportFailed) -> str:
    # One line, so a title cannot add lines to the subject.
    title = one_line(event.title or "")
    return title or event.resource
