"""Sending an event's e-mail at most once: render, claim, send, record.

Shared by every e-mail kind. The sent-once ledger's claim is taken only once
the e-mail rendered, and given back if the send fails, so that a retry sends.
"""

from __future__ import annotations

import enum
from typing import Protocol

from conveyor_aws.failures import PermanentFailure
from conveyor_aws.mail import Email
from conveyor_common.envelope import Envelope
from conveyor_common.log import correlation, get_logger
from conveyor_notifier.emails import EmailKinds
from conveyor_notifier.ledger import SentOnceLedger
from conveyor_notifier.refusals import EmailRefused, ses_refusal

logger = get_logger(__name__)


class Mailer(Protocol):
    def send(self, email: Email) -> str:
        """Send one e-mail; returns the provider's message id."""
        ...


class Delivery(enum.StrEnum):
    SENT = "sent"
    ALREADY_CLAIMED = "already_claimed"
    NO_RECIPIENTS = "no_recipients"


class NoEmailForEvent(PermanentFailure, LookupError):
    """The notifier sends no e-mail for this event type."""


def send_once(
    envelope: Envelope, *, kinds: EmailKinds, ledger: SentOnceLedger, mailer: Mailer
) -> Delivery:
    """Send the event's e-mail unless it was claimed before: render, claim, send, record."""
    kind = kinds.get(envelope.event_type)
    if kind is None:
        raise NoEmailForEvent(f"the notifier sends no e-mail for {envelope.event_type}")
    name = kind.name
    with correlation(envelope.correlation_id, event_id=str(envelope.event_id)):
        # Rendered before claiming: a template error must not leave a claim behind.
        email = kind.render(envelope)
        if not email.to:
            logger.warning("e-mail has no recipients", template=name)
            return Delivery.NO_RECIPIENTS
        claimed_at = ledger.claim(envelope.event_id, name)
        if claimed_at is None:
            logger.info("e-mail already claimed", template=name)
            return Delivery.ALREADY_CLAIMED
        try:
            message_id = mailer.send(email)
        except Exception as exc:
            ledger.release(envelope.event_id, name)
            _raise_if_refused(exc, template=name, email=email)
            raise
        ledger.mark_sent(envelope.event_id, name, claimed_at=claimed_at, ses_message_id=message_id)
        logger.info("e-mail sent", template=name, message_id=message_id)
        return Delivery.SENT


def _raise_if_refused(exc: Exception, *, template: str, email: Email) -> None:
    """EmailRefused when SES refused the e-mail for what it is: the broker parks it at
    once and logs this one-line reason, instead of retrying it as unexpected."""
    refusal = ses_refusal(exc)
    if refusal is None:
        return
    raise EmailRefused(
        f"SES refused the {template} e-mail to {len(email.to)} recipient(s): {refusal}"
    ) from exc
