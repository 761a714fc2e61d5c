"""Turns events into e-mails; pure apart from reading the packaged templates."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple, TypeVar
from urllib.parse import urlsplit

import jinja2

from conveyor_aws.mail import Email
from conveyor_common.envelope import Envelope, Event
from conveyor_common.events import ExportCompleted, ExportFailed, OrderPersisted
from conveyor_notifier.formatting import count, file_size, money, timestamp

ORDER_CONFIRMATION = "order_confirmation"
EXPORT_COMPLETED = "export_completed"
EXPORT_FAILED = "export_failed"

# Links a mail client may follow; anything else in a link is a bug upstream.
_LINK_SCHEMES = frozenset({"https", "http"})

EventT = TypeVar("EventT", bound=Event)

_templates = jinja2.Environment(
    loader=jinja2.PackageLoader("conveyor_notifier", "templates"),
    # Customer-provided text ends up in the HTML body; the text body must stay verbatim.
    autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)
_templates.filters["money"] = money


class EmailKind(NamedTuple):
    """The template an event's e-mail uses (also its sent-once ledger key) and its renderer."""

    template: str
    render: Callable[[Envelope], Email]


def render_order_confirmation(envelope: Envelope) -> Email:
    """The confirmation e-mail for an OrderPersisted envelope: sent once the order is stored."""
    order = _payload(envelope, OrderPersisted).order
    return _email(
        ORDER_CONFIRMATION,
        to=(order.customer_email,),
        subject=f"Order {order.order_id} confirmed",
        context={
            "order": order,
            "greeting_name": order.customer_name or order.customer_email,
            "submitted": timestamp(order.submitted_at),
        },
    )


def render_export_completed(envelope: Envelope) -> Email:
    """The download e-mail for an ExportCompleted envelope."""
    event = _payload(envelope, ExportCompleted)
    if urlsplit(event.download_url).scheme not in _LINK_SCHEMES:
        raise ValueError(f"refusing a download link that is not http(s): {event.download_url!r}")
    title = _export_title(event)
    return _email(
        EXPORT_COMPLETED,
        to=_recipients(event.notify),
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
    event = _payload(envelope, ExportFailed)
    title = _export_title(event)
    return _email(
        EXPORT_FAILED,
        to=_recipients(event.notify),
        subject=f'Your export "{title}" failed',
        context={"export": event, "title": title, "format_label": event.format.upper()},
    )


# The e-mail each event type sends; the worker registers one actor per entry.
EMAIL_KINDS: Mapping[str, EmailKind] = MappingProxyType(
    {
        OrderPersisted.event_type: EmailKind(ORDER_CONFIRMATION, render_order_confirmation),
        ExportCompleted.event_type: EmailKind(EXPORT_COMPLETED, render_export_completed),
        ExportFailed.event_type: EmailKind(EXPORT_FAILED, render_export_failed),
    }
)


def _payload(envelope: Envelope, event_cls: type[EventT]) -> EventT:
    event = envelope.payload
    if not isinstance(event, event_cls):
        raise TypeError(f"expected an {event_cls.event_type} envelope, got {envelope.event_type}")
    return event


def _export_title(event: ExportCompleted | ExportFailed) -> str:
    # One line, so a title cannot add lines to the subject.
    title = " ".join((event.title or "").split())
    return title or event.resource


def _recipients(addresses: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(addresses))


def _email(template: str, *, to: tuple[str, ...], subject: str, context: dict[str, Any]) -> Email:
    context = {**context, "subject": subject}
    return Email(
        to=to,
        subject=subject,
        html=_templates.get_template(f"{template}.html").render(context),
        text=_templates.get_template(f"{template}.txt").render(context),
    )
