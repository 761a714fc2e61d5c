"""Wires the notifier's actors to the broker; no logic of its own."""

from __future__ import annotations

import dramatiq

from conveyor_aws.broker.envelope_broker import EnvelopeBroker
from conveyor_aws.broker.liveness_recorder import LivenessRecorder
from conveyor_aws.mail import SesSender
from conveyor_aws.state_store import StateStore
from conveyor_common.envelope import decode
from conveyor_notifier.emails import email_kinds
from conveyor_notifier.exports import emails as export_emails
from conveyor_notifier.imports import emails as import_emails
from conveyor_notifier.ledger import SentOnceLedger
from conveyor_notifier.mailers import LoggingMailer
from conveyor_notifier.orders import emails as order_emails
from conveyor_notifier.send_once import Mailer, send_once
from conveyor_notifier.settings import NotifierSettings

SERVICE = "notifier"
# Every feature's e-mails, by event type: a feature with e-mails adds its table here.
EMAIL_KINDS = email_kinds(
    order_emails.EMAIL_KINDS, export_emails.EMAIL_KINDS, import_emails.EMAIL_KINDS
)


def build_mailer(settings: NotifierSettings) -> Mailer:
    return LoggingMailer() if settings.skip_ses else SesSender(sender=settings.ses_sender)


def build_broker(
    settings: NotifierSettings,
    *,
    ledger: SentOnceLedger | None = None,
    mailer: Mailer | None = None,
    liveness: LivenessRecorder | None = None,
) -> EnvelopeBroker:
    """A broker with an actor per e-mail kind, each named after its event type."""
    broker = EnvelopeBroker(
        service=SERVICE,
        visibility_timeout_seconds=settings.visibility_timeout_seconds,
        liveness=liveness,
    )
    sent_once = ledger or SentOnceLedger(store=StateStore(table=settings.state_table))
    sender = mailer or build_mailer(settings)

    def send_email(envelope_text: str) -> None:
        send_once(decode(envelope_text), kinds=EMAIL_KINDS, ledger=sent_once, mailer=sender)

    for event_type in EMAIL_KINDS:
        dramatiq.actor(actor_name=event_type, queue_name=settings.notifier_queue, broker=broker)(
            send_email
        )
    return broker
