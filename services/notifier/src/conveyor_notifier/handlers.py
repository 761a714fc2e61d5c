"""The service layer: what the notifier does with each event it receives."""

from __future__ import annotations

import enum
from typing import Protocol

from conveyor_aws.mail import Email
from conveyor_common.envelope import Envelope
from conveyor_common.log import correlation, get_logger
from conveyor_notifier.ledger import SentOnceLedger
from conveyor_notifier.render import ORDER_CONFIRMATION, render_order_confirmation

logger = get_logger(__name__)


class Mailer(Protocol):
    def send(self, email: Email) -> str:
        """Send one e-mail; returns the provider's message id."""
        ...


class Delivery(enum.StrEnum):
    SENT = "sent"
    ALREADY_CLAIMED = "already_claimed"


def handle_order_submitted(
    envelope: Envelope, *, ledger: SentOnceLedger, mailer: Mailer
) -> Delivery:
    """Send the order confirmation unless this event's e-mail was claimed before."""
    with correlation(envelope.correlation_id, event_id=str(envelope.event_id)):
        email = render_order_confirmation(envelope)
        if not ledger.claim(envelope.event_id, ORDER_CONFIRMATION):
            logger.info("order confirmation already claimed", template=ORDER_CONFIRMATION)
            return Delivery.ALREADY_CLAIMED
        try:
            message_id = mailer.send(email)
        except Exception:
            ledger.release(envelope.event_id, ORDER_CONFIRMATION)
            raise
        ledger.mark_sent(envelope.event_id, ORDER_CONFIRMATION, ses_message_id=message_id)
        logger.info("order confirmation sent", template=ORDER_CONFIRMATION, message_id=message_id)
        return Delivery.SENT
