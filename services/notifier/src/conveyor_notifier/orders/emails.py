"""The order e-mails: the confirmation, sent once the order is stored."""

from __future__ import annotations

from types import MappingProxyType

from conveyor_aws.mail import Email
from conveyor_common.envelope import Envelope
from conveyor_common.events import OrderPersisted
from conveyor_notifier.emails import EmailKind, EmailKinds, render_email
from conveyor_notifier.formatting import timestamp

ORDER_CONFIRMATION = "order_confirmation"


def render_order_confirmation(envelope: Envelope) -> Email:
    """The confirmation e-mail for an OrderPersisted envelope: sent once the order is stored."""
    order = envelope.of(OrderPersisted).payload.order
    return render_email(
        "orders/confirmation",
        to=(order.customer_email,),
        subject=f"Order {order.order_id} confirmed",
        context={
            "order": order,
            "greeting_name": order.customer_name or order.customer_email,
            "submitted": timestamp(order.submitted_at),
        },
    )


EMAIL_KINDS: EmailKinds = MappingProxyType(
    {OrderPersisted.event_type: EmailKind(ORDER_CONFIRMATION, render_order_confirmation)}
)
