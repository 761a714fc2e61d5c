"""Turns events into e-mails; pure apart from reading the packaged templates."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import jinja2

from conveyor_aws.mail import Email
from conveyor_common.envelope import Envelope
from conveyor_common.events import OrderSubmitted
from conveyor_common.money import CENT

ORDER_CONFIRMATION = "order_confirmation"


def money(amount: Decimal, currency: str) -> str:
    return f"{amount.quantize(CENT)} {currency}"


def timestamp(moment: datetime) -> str:
    # A naive time on the wire can only have meant UTC.
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


_templates = jinja2.Environment(
    loader=jinja2.PackageLoader("conveyor_notifier", "templates"),
    # Customer-provided text ends up in the HTML body; the text body must stay verbatim.
    autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)
_templates.filters["money"] = money


def render_order_confirmation(envelope: Envelope) -> Email:
    """The confirmation e-mail for an OrderSubmitted envelope."""
    event = envelope.payload
    if not isinstance(event, OrderSubmitted):
        raise TypeError(f"expected an OrderSubmitted envelope, got {envelope.event_type}")
    order = event.order
    subject = f"Order {order.order_id} confirmed"
    context = {
        "order": order,
        "subject": subject,
        "greeting_name": order.customer_name or order.customer_email,
        "submitted": timestamp(order.submitted_at),
    }
    return Email(
        to=(order.customer_email,),
        subject=subject,
        html=_templates.get_template(f"{ORDER_CONFIRMATION}.html").render(context),
        text=_templates.get_template(f"{ORDER_CONFIRMATION}.txt").render(context),
    )
