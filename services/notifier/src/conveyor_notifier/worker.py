"""Wires the notifier's actors to the broker; no logic of its own."""

from __future__ import annotations

import dramatiq

from conveyor_aws.broker import EnvelopeBroker
from conveyor_aws.mail import SesSender
from conveyor_aws.state_store import StateStore
from conveyor_common.envelope import decode
from conveyor_notifier.handlers import Mailer, handle_order_submitted
from conveyor_notifier.ledger import SentOnceLedger
from conveyor_notifier.mailers import LoggingMailer
from conveyor_notifier.settings import NotifierSettings


def build_mailer(settings: NotifierSettings) -> Mailer:
    return LoggingMailer() if settings.skip_ses else SesSender(sender=settings.ses_sender)


def build_broker(
    settings: NotifierSettings,
    *,
    ledger: SentOnceLedger | None = None,
    mailer: Mailer | None = None,
) -> EnvelopeBroker:
    """A broker with every notifier actor registered on the notifier queue."""
    broker = EnvelopeBroker(visibility_timeout_seconds=settings.visibility_timeout_seconds)
    sent_once = ledger or SentOnceLedger(store=StateStore(table=settings.state_table))
    sender = mailer or build_mailer(settings)

    def order_submitted(envelope_text: str) -> None:
        handle_order_submitted(decode(envelope_text), ledger=sent_once, mailer=sender)

    dramatiq.actor(actor_name="OrderSubmitted", queue_name=settings.notifier_queue, broker=broker)(
        order_submitted
    )
    return broker
